"""End to end on `xfs4iot://`: the real server, each device a `kiosk-sim xfs4iot` process.

One server drives six terminals, each its own endpoint process with one fault (or none), in
both dialects. For every case: quote + signed dispense over HTTP; afterwards the service's
counts equal the device's, the journal has the dispense, and every message on the wire (the
endpoint's transcript) validates against the dialect's schema.
"""

from __future__ import annotations

import json
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
from tests.e2e.conftest import SECRET, TERMINALS, dispensers
from tests.xfs4iot.endpoint import endpoint_process
from tests.xfs4iot.validation import transcript_problems

#: case -> (dialect, endpoint faults, --take-after or None for never, request preference)
CASES = {
    "normal": ("2024-3", "", 0.3, {"kind": "counts", "counts": {"50000": 2, "20000": 1}}),
    "normal-2021": ("2021-1", "", 0.3, {"kind": "counts", "counts": {"50000": 2, "20000": 1}}),
    "jam": ("2021-1", "jam:C:1", 0.3, {"kind": "counts", "counts": {"50000": 2, "20000": 1}}),
    "partial": ("2024-3", "short:D:299", 0.3, {"kind": "counts", "counts": {"100000": 2}}),
    "no-take": ("2021-1", "", None, {"kind": "counts", "counts": {"50000": 2, "20000": 1}}),
    "disconnect": ("2024-3", "disconnect:1", 0.3,
                   {"kind": "counts", "counts": {"50000": 2, "20000": 1}}),
}
AMOUNTS = {"partial": 200000}


def _terminal_file(directory: Path, case: str) -> Path:
    text = (TERMINALS / "demo-czk.toml").read_text(encoding="utf-8")
    text = text.replace('id = "demo-czk"', f'id = "xfs-{case}"', 1)
    path = directory / f"xfs-{case}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _authorized(terminal: str, quote: dict, **extra) -> dict:
    expires = int(time.time()) + 120
    signature = sign(SECRET, terminal, quote["id"], quote["amount"]["value"], "CZK", expires)
    return {"quote_id": quote["id"],
            "authorization": {"expires_at": expires, "signature": signature}} | extra


@pytest.fixture
def fleet(tmp_path):
    """Six terminals in one database, each with its endpoint process and transcript."""
    url = f"sqlite:///{tmp_path / 'cashmix.sqlite'}"
    app = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    upgrade_database(deps.engine)
    keys, contexts, devices = {}, [], {}
    try:
        for case, (dialect, faults, take_after, _) in CASES.items():
            path = _terminal_file(tmp_path, case)
            terminal = parse_terminal(tomllib.loads(path.read_text(encoding="utf-8")))
            import_terminal(terminal, uow=deps.unit_of_work(), clock=deps.clock)
            keys[case] = create_key(Role.KIOSK, terminal.id, uow=deps.unit_of_work(),
                                    clock=deps.clock)
            transcript = tmp_path / f"{case}.jsonl"
            extra = ["--transcript", str(transcript), "--faults", faults]
            if take_after is not None:
                extra += ["--take-after", str(take_after)]
            context = endpoint_process(path, dialect=dialect, extra=extra)
            address, _ = context.__enter__()
            contexts.append(context)
            devices[terminal.id] = (f"xfs4iot://{address}/xfs4iot/v1.0?dialect={dialect}"
                                    "&timeout=20", transcript, dialect)
        keys["admin"] = create_key(Role.ADMIN, None, uow=deps.unit_of_work(), clock=deps.clock)
        deps.close()
        yield url, keys, devices
    finally:
        for context in reversed(contexts):
            context.__exit__(None, None, None)


def test_the_service_on_xfs4iot_devices_keeps_every_note(server, fleet):
    _, keys, devices = fleet
    table = dispensers({tid: url for tid, (url, _, _) in devices.items()})
    http = server.start(CASHMIX_DISPENSERS=table, CASHMIX_TAKE_TIMEOUT_SECONDS="2")
    admin = type(http)(http.base, keys["admin"])
    outcomes = {}
    for case, (_, _, _, preference) in CASES.items():
        tid = f"xfs-{case}"
        kiosk = type(http)(http.base, keys[case])
        status, quote, _ = kiosk.call("POST", f"/api/v1/terminals/{tid}/quotes", {
            "amount": {"value": AMOUNTS.get(case, 120000), "currency": "CZK"},
            "preference": preference})
        assert status == 201, (case, quote)
        status, dispense, _ = kiosk.call("POST", f"/api/v1/terminals/{tid}/dispenses",
                                         _authorized(tid, quote), {"Idempotency-Key": case})
        assert status == 201, (case, dispense)
        outcomes[case] = dispense

    assert outcomes["normal"]["state"] == outcomes["normal-2021"]["state"] == "taken"
    assert outcomes["normal"]["outcome"] == "complete"
    assert outcomes["no-take"]["state"] == "retracted"
    assert outcomes["disconnect"]["state"] == "taken"
    assert outcomes["disconnect"]["outcome"] == "complete"
    assert outcomes["jam"]["outcome"] != "complete" or outcomes["jam"]["error"]
    assert outcomes["partial"]["outcome"] != "complete"

    for case in CASES:
        tid = f"xfs-{case}"
        url, transcript, dialect = devices[tid]
        status, cassettes, _ = admin.call("GET", f"/api/v1/terminals/{tid}/cassettes")
        assert status == 200
        with open_dispenser(url) as device:
            on_device = {unit.id: unit.count for unit in device.status().cassettes}
        assert {c["id"]: c["count"] for c in cassettes} == on_device, case
        status, journal, _ = admin.call("GET", f"/api/v1/terminals/{tid}/journal"
                                               "?kind=dispense_finished")
        assert status == 200 and [e["subject"] for e in journal["items"]] == \
            [outcomes[case]["id"]], case
        lines = [json.loads(line) for line in transcript.read_text().splitlines()]
        assert lines, case
        assert transcript_problems(lines, dialect) == [], case
