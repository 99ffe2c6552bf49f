"""Two service processes, one XFS4IoT device: a terminal's cycles never interleave.

Both `kiosk-service serve` processes share the database (a SQLite file, or PostgreSQL when
CASHMIX_TEST_DATABASE_URL is set) and drive the same `kiosk-sim xfs4iot` endpoint. Dispenses
for the one terminal arrive at both at once. The endpoint's transcript must show each Dispense
only after the previous notes were taken (never `itemsLeft`), every dispense either completes
or is refused `terminal_busy` before anything moved, and the service's counts equal the
device's.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kiosk_service.hardware import open_dispenser
from kiosk_service.persistence.database import normalise_url
from kiosk_service.records import Role
from kiosk_service.services.authorization import sign
from tests.e2e.conftest import (
    SECRET,
    Http,
    Server,
    database_url,
    demo_copy,
    dispensers,
    prepare_database,
    server_env,
)
from tests.xfs4iot.endpoint import endpoint_process

TID = "xfs-fleet"
#: Dispenses sent at once, half to each process.
CONCURRENT = 6


@contextlib.contextmanager
def _deployment(kind: str, tmp_path: Path, take_after: str | None):
    """A migrated database with the terminal, its endpoint process; yield (url, key, device
    URL, transcript)."""
    url = database_url(kind, tmp_path)
    path = demo_copy(tmp_path, TID)
    key = prepare_database(url, [path], {"kiosk": (Role.KIOSK, TID)})["kiosk"]
    transcript = tmp_path / "device.jsonl"
    extra = ["--transcript", str(transcript)]
    if take_after is not None:
        extra += ["--take-after", take_after]
    with endpoint_process(path, dialect="2024-3", extra=extra) as (address, _):
        yield url, key, f"xfs4iot://{address}/xfs4iot/v1.0?dialect=2024-3&timeout=20", \
            transcript


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request, tmp_path):
    """The deployment with a customer who takes the notes after 0.3 s."""
    with _deployment(request.param, tmp_path, "0.3") as deployment:
        yield deployment


@pytest.fixture(params=["sqlite", "postgresql"])
def walked_away(request, tmp_path):
    """The deployment with a customer who never takes the notes."""
    with _deployment(request.param, tmp_path, None) as deployment:
        yield deployment


def _servers(url: str, device: str, tmp_path: Path, lock_timeout: float,
             take_timeout: float = 5) -> list[Server]:
    env = server_env(url, CASHMIX_TAKE_TIMEOUT_SECONDS=str(take_timeout),
                     CASHMIX_TERMINAL_LOCK_TIMEOUT_SECONDS=str(lock_timeout),
                     CASHMIX_DISPENSERS=dispensers({TID: device}))
    return [Server(env, tmp_path / f"server-{n}.log") for n in (1, 2)]


def _quote(http: Http) -> dict:
    status, quote, _ = http.call("POST", f"/api/v1/terminals/{TID}/quotes", {
        "amount": {"value": 120000, "currency": "CZK"},
        "preference": {"kind": "counts", "counts": {"50000": 2, "20000": 1}}})
    assert status == 201, quote
    return quote


def _dispense(http: Http, quote: dict, key: str, results: list) -> None:
    expires = int(time.time()) + 120
    signature = sign(SECRET, TID, quote["id"], quote["amount"]["value"], "CZK", expires)
    body = {"quote_id": quote["id"],
            "authorization": {"expires_at": expires, "signature": signature}}
    status, answer, _ = http.call("POST", f"/api/v1/terminals/{TID}/dispenses", body,
                                  {"Idempotency-Key": key})
    results.append((status, answer))


def _waiting_violations(transcript: Path) -> list[str]:
    """Return every Dispense sent while notes of an earlier one still waited, and every
    itemsLeft answer."""
    problems, waiting = [], False
    for number, line in enumerate(transcript.read_text(encoding="utf-8").splitlines(), 1):
        entry = json.loads(line)
        header = entry["message"]["header"]
        name, kind = header["name"], header["type"]
        if entry["direction"] == "to_device" and kind == "command" \
                and name == "CashDispenser.Dispense":
            if waiting:
                problems.append(f"line {number}: Dispense while notes wait")
            waiting = True
        elif entry["direction"] == "to_client":
            if header.get("errorCode") == "itemsLeft" or \
                    (entry["message"].get("payload") or {}).get("errorCode") == "itemsLeft":
                problems.append(f"line {number}: {name} itemsLeft")
            if name == "CashManagement.ItemsTakenEvent" or (
                    kind == "completion" and name in ("CashManagement.Retract",
                                                      "CashDispenser.Reject")):
                waiting = False
    return problems


@pytest.mark.parametrize(("lock_timeout", "everyone_served"), [(60, True), (0.1, False)],
                         ids=["waits-its-turn", "busy"])
def test_two_processes_never_interleave_a_terminals_cycle(shared, tmp_path, lock_timeout,
                                                          everyone_served):
    url, key, device, transcript = shared
    servers = _servers(url, device, tmp_path, lock_timeout)
    try:
        clients = [Http(server.start().base, key) for server in servers]
        quotes = [_quote(clients[n % 2]) for n in range(CONCURRENT)]
        results: list = []
        threads = [threading.Thread(target=_dispense,
                                    args=(clients[n % 2], quote, f"k{n}", results))
                   for n, quote in enumerate(quotes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        served = [answer for status, answer in results if status == 201]
        refused = [answer for status, answer in results if status != 201]
        assert len(results) == CONCURRENT
        assert all(answer["code"] == "terminal_busy" and answer["status"] == 409
                   for answer in refused), refused
        assert all(d["state"] == "taken" and d["outcome"] == "complete" for d in served)
        if everyone_served:
            assert len(served) == CONCURRENT
        else:
            assert served and refused
        assert _waiting_violations(transcript) == []
        sent = [line for line in transcript.read_text().splitlines()
                if '"CashDispenser.Dispense"' in line and '"type": "command"' in line]
        assert len(sent) == len(served)

        status, cassettes, _ = clients[0].call("GET", f"/api/v1/terminals/{TID}")
        assert status == 200
        with open_dispenser(device) as opened:
            on_device = {unit.id: unit.count for unit in opened.status().cassettes}
        assert {c["id"]: c["count"] for c in cassettes["cassettes"]} == on_device
        before = {"A": 600, "B": 600, "C": 400, "D": 300, "E": 200, "F": 50}
        assert on_device["C"] == before["C"] - 2 * len(served)
        assert on_device["B"] == before["B"] - len(served)
    finally:
        for server in servers:
            server.stop()


def _wait_for_in_flight(url: str) -> None:
    engine = create_engine(normalise_url(url))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM dispenses WHERE state = "
                                           "'in_flight'")).scalar():
                    return
            time.sleep(0.02)
        raise AssertionError("no dispense went in flight")
    finally:
        engine.dispose()


def test_a_live_process_takes_over_a_dead_ones_terminal_once_its_lock_is_free(walked_away,
                                                                              tmp_path):
    url, key, device, transcript = walked_away
    first, second = _servers(url, device, tmp_path, lock_timeout=30, take_timeout=3)
    try:
        clients = [Http(first.start().base, key), Http(second.start().base, key)]
        abandoned, mine = _quote(clients[0]), _quote(clients[1])
        results: list = []
        dying = threading.Thread(target=_try, args=(clients[0], abandoned, results),
                                 daemon=True)
        dying.start()
        _wait_for_in_flight(url)
        first.kill()        # mid-cycle: its notes are presented, its lock dies with it
        dying.join(30)

        _dispense(clients[1], mine, "k-live", results)
        status, served = results[-1]
        assert status == 201 and served["state"] == "retracted", served      # nobody took them
        with open_dispenser(device) as opened:
            on_device = {unit.id: unit.count for unit in opened.status().cassettes}
        status, terminal, _ = clients[1].call("GET", f"/api/v1/terminals/{TID}")
        assert {c["id"]: c["count"] for c in terminal["cassettes"]} == on_device
        engine = create_engine(normalise_url(url))
        with engine.connect() as connection:
            states = {quote: (state, error) for quote, state, error in connection.execute(
                text("SELECT quote_id, state, error FROM dispenses"))}
            recovered = connection.execute(text(
                "SELECT count(*) FROM journal WHERE kind = 'dispense_recovered'")).scalar()
        engine.dispose()
        # Killed with the notes stacked (rejected) or presented (retracted): never in flight.
        assert states[abandoned["id"]] in (("failed", "recovered"), ("retracted", "recovered"))
        assert states[mine["id"]][0] == "retracted" and len(states) == 2
        assert recovered == 1
        assert _waiting_violations(transcript) == []
    finally:
        first.stop()
        second.stop()


def _try(http: Http, quote: dict, results: list) -> None:
    with contextlib.suppress(OSError):      # the server dies under us: that is the point
        _dispense(http, quote, "k-dying", results)
