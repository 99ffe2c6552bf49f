"""Two service processes, one XFS4IoT device: a terminal's cycles never interleave.

Both `kiosk-service serve` processes share the database (a SQLite file, or PostgreSQL when
CASHMIX_TEST_DATABASE_URL is set) and drive the same `kiosk-sim xfs4iot` endpoint. Dispenses
for the one terminal arrive at both at once. The endpoint's transcript must show each Dispense
only after the previous notes were taken (never `itemsLeft`), every dispense either completes
or is refused `terminal_busy` before anything moved, and the service's counts equal the
device's.
"""

from __future__ import annotations

import json
import os
import threading
import time
import tomllib
from pathlib import Path

import pytest

from kiosk_service import create_app
from kiosk_service.hardware import open_dispenser
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.records import Role
from kiosk_service.services.authorization import sign
from kiosk_service.services.keys import create_key
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import parse_terminal
from tests.e2e.conftest import SECRET, TERMINALS, Http, Server
from tests.xfs4iot.endpoint import endpoint_process

TID = "xfs-fleet"
POSTGRES_URL = os.environ.get("CASHMIX_TEST_DATABASE_URL")
#: Dispenses sent at once, half to each process.
CONCURRENT = 6


def _database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'cashmix.sqlite'}"
    if not POSTGRES_URL:
        pytest.skip("set CASHMIX_TEST_DATABASE_URL for the PostgreSQL run (.ci/run does)")
    from tests.service.conftest import reset_postgres

    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def shared(request, tmp_path):
    """A migrated database with the terminal, its endpoint process; (url, key, device URL,
    transcript)."""
    url = _database(request.param, tmp_path)
    text = (TERMINALS / "demo-czk.toml").read_text(encoding="utf-8")
    path = tmp_path / f"{TID}.toml"
    path.write_text(text.replace('id = "demo-czk"', f'id = "{TID}"', 1), encoding="utf-8")
    app = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    upgrade_database(deps.engine)
    import_terminal(parse_terminal(tomllib.loads(path.read_text(encoding="utf-8"))),
                    uow=deps.unit_of_work(), clock=deps.clock)
    key = create_key(Role.KIOSK, TID, uow=deps.unit_of_work(), clock=deps.clock)
    deps.close()
    transcript = tmp_path / "device.jsonl"
    with endpoint_process(path, dialect="2024-3",
                          extra=["--transcript", str(transcript), "--take-after", "0.3"]) \
            as (address, _):
        yield url, key, f"xfs4iot://{address}/xfs4iot/v1.0?dialect=2024-3&timeout=20", \
            transcript


def _servers(url: str, device: str, tmp_path: Path, lock_timeout: float) -> list[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASHMIX_")}
    env |= {"DATABASE_URL": url, "CASHMIX_DEMO_CZK_HOST_SECRET": SECRET,
            "CASHMIX_LOG_LEVEL": "WARNING", "CASHMIX_TAKE_TIMEOUT_SECONDS": "5",
            "CASHMIX_TERMINAL_LOCK_TIMEOUT_SECONDS": str(lock_timeout),
            "CASHMIX_DISPENSERS": "{" + f'"{TID}" = {json.dumps(device)}' + "}"}
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
