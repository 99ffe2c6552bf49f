"""Concurrency: many callers quoting and dispensing against one terminal never overdraw a
cassette and never pay one quote twice (threads on any database; processes on PostgreSQL)."""

import multiprocessing
import random
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from kiosk_service.services.authorization import sign
from tests.service.conftest import TERMINALS
from tests.xfs4iot.endpoint import endpoint_process

SECRET = "test-host-secret"
AMOUNTS = (200000, 300000, 400000, 500000, 700000)
SCARCE = {"A": 0, "B": 0, "C": 4, "D": 6, "E": 5, "F": 0}


@pytest.fixture
def scarce(staff):
    """Leave few notes, so callers compete for the last ones."""
    for cassette, count in SCARCE.items():
        response = staff.put(f"/cassettes/{cassette}", {"count": count, "reason": "scarcity"})
        assert response.status_code == 200
    return dict(SCARCE)


def _body(quote: dict, expires: int) -> dict:
    signature = sign(SECRET, "demo-czk", quote["id"], quote["amount"]["value"], "CZK", expires)
    return {"quote_id": quote["id"], "authorization": {"expires_at": expires,
                                                       "signature": signature}}


def _customer(client, key: str, seed: int, rounds: int, expires: int, statuses: list) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    url = "/api/v1/terminals/demo-czk"
    for round_ in range(rounds):
        amount = rng.choice(AMOUNTS)
        response = client.post(f"{url}/quotes", headers=headers,
                               json={"amount": {"value": amount, "currency": "CZK"},
                                     "alternatives": False})
        statuses.append(response.status_code)
        if response.status_code != 201:
            continue
        body = _body(response.get_json(), expires)
        idempotency = {"Idempotency-Key": f"{seed}-{round_}"}
        for _attempt in range(2):   # a retry with the same key must not pay again
            paid = client.post(f"{url}/dispenses", headers=headers | idempotency, json=body)
            statuses.append(paid.status_code)


def _ledger(database_url_engine) -> tuple[dict, dict, list]:
    with database_url_engine.connect() as connection:
        picked = dict(connection.execute(text(
            "SELECT cassette_id, SUM(picked) FROM dispense_notes GROUP BY cassette_id")).all())
        counts = dict(connection.execute(text(
            "SELECT id, count FROM cassettes WHERE terminal_id = 'demo-czk'")).all())
        per_quote = [n for (n,) in connection.execute(text(
            "SELECT COUNT(*) FROM dispenses GROUP BY quote_id")).all()]
    return {k: int(v) for k, v in picked.items()}, counts, per_quote


def _assert_no_overdraw(app, scarce: dict) -> None:
    deps = app.extensions["cashmix"]
    picked, counts, per_quote = _ledger(deps.engine)
    for cassette, loaded in scarce.items():
        assert picked.get(cassette, 0) <= loaded
        assert counts[cassette] == loaded - picked.get(cassette, 0)
    assert per_quote and set(per_quote) == {1}
    with deps.unit_of_work() as uow:    # the hold counters agree with the holds themselves
        every_hold = uow.quotes.held_notes("demo-czk", at=datetime(2000, 1, 1, tzinfo=UTC))
        assert uow.quotes.held_counters("demo-czk") == every_hold


def test_threads_never_overdraw_or_pay_a_quote_twice(app, keys, scarce, clock):
    expires = int(clock.now().timestamp()) + 250
    statuses: list[int] = []
    threads = [threading.Thread(target=_customer, args=(app.test_client(), keys["kiosk"], seed,
                                                        6, expires, statuses))
               for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 500 not in statuses and statuses.count(201) > 0
    assert statuses.count(422) > 0          # someone met an empty terminal
    _assert_no_overdraw(app, scarce)


def test_threads_racing_for_one_quote_pay_it_once(app, keys, clock, counts):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {keys['kiosk']}"}
    quote = client.post("/api/v1/terminals/demo-czk/quotes", headers=headers,
                        json={"amount": {"value": 350000, "currency": "CZK"}}).get_json()
    before = counts()
    expires = int(clock.now().timestamp()) + 100
    results: list[int] = []

    def race(n: int) -> None:
        body = _body(quote, expires + n % 3)       # three distinct valid authorizations
        response = app.test_client().post(
            "/api/v1/terminals/demo-czk/dispenses", json=body,
            headers=headers | {"Idempotency-Key": f"race-{n % 2}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 500 not in results and set(results) <= {201, 403, 409}
    assert sum(before.values()) - sum(counts().values()) == quote["plan"]["notes"]


def _process_customer(database_url: str, device_url: str, key: str, seed: int, expires: int,
                      queue) -> None:
    from kiosk_service import create_app
    from kiosk_service.hardware import ManualClock

    start = datetime.fromtimestamp(expires - 250, UTC)
    app = create_app({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
                      "DISPENSERS": {"demo-czk": device_url}},
                     clock=ManualClock(start),
                     environ={"CASHMIX_DEMO_CZK_HOST_SECRET": SECRET})
    statuses: list[int] = []
    try:
        _customer(app.test_client(), key, seed, 6, expires, statuses)
    finally:
        app.extensions["cashmix"].close()
    queue.put(statuses)


def test_processes_never_overdraw_on_postgresql(make_app, keys, clock, database_url, caller):
    """Four service processes and one device, as a fleet runs: the device in its own process
    (kiosk-sim xfs4iot), every process driving it by URL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes need PostgreSQL: set CASHMIX_TEST_DATABASE_URL")
    with endpoint_process(TERMINALS / "demo-czk.toml", dialect="2024-3",
                          extra=["--take-after", "0.05"]) as (address, _):
        device_url = f"xfs4iot://{address}/xfs4iot/v1.0?dialect=2024-3"
        app = make_app(DISPENSERS={"demo-czk": device_url})
        staff = caller(app.test_client(), keys["staff"])
        for cassette, count in SCARCE.items():
            response = staff.put(f"/cassettes/{cassette}", {"count": count, "reason": "scarcity"})
            assert response.status_code == 200
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        expires = int(clock.now().timestamp()) + 250
        workers = [context.Process(target=_process_customer,
                                   args=(database_url, device_url, keys["kiosk"], seed, expires,
                                         queue))
                   for seed in range(4)]
        for worker in workers:
            worker.start()
        statuses = [s for _ in workers for s in queue.get(timeout=120)]
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0
    assert 500 not in statuses and statuses.count(201) > 0
    _assert_no_overdraw(app, dict(SCARCE))
