"""End to end on `xfs4iot://`: the real server, each device a `kiosk-sim xfs4iot` process.

One server drives six terminals, each its own endpoint process with one fault (or none), in
both dialects. For every case: quote + signed dispense over HTTP; afterwards the service's
counts equal the device's, the journal has the dispense, and every message on the wire (the
endpoint's transcript) validates against the dialect's schema.
"""

from __future__ import annotations

import json
import time

import pytest

from kiosk_service.hardware import open_dispenser
from kiosk_service.records import Role
from kiosk_service.services.authorization import sign
from tests.e2e.conftest import SECRET, database_url, demo_copy, dispensers, prepare_database
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


def _authorized(terminal: str, quote: dict, **extra) -> dict:
    expires = int(time.time()) + 120
    signature = sign(SECRET, terminal, quote["id"], quote["amount"]["value"], "CZK", expires)
    return {"quote_id": quote["id"],
            "authorization": {"expires_at": expires, "signature": signature}} | extra


@pytest.fixture
def fleet(tmp_path):
    """Six terminals in one database, each with its endpoint process and transcript."""
    url = database_url("sqlite", tmp_path)
    paths = {case: demo_copy(tmp_path, f"xfs-{case}") for case in CASES}
    keys = prepare_database(url, paths.values(),
                            {case: (Role.KIOSK, f"xfs-{case}") for case in CASES}
                            | {"admin": (Role.ADMIN, None)})
    contexts, devices = [], {}
    try:
        for case, (dialect, faults, take_after, _) in CASES.items():
            transcript = tmp_path / f"{case}.jsonl"
            extra = ["--transcript", str(transcript), "--faults", faults]
            if take_after is not None:
                extra += ["--take-after", str(take_after)]
            context = endpoint_process(paths[case], dialect=dialect, extra=extra)
            address, _ = context.__enter__()
            contexts.append(context)
            devices[f"xfs-{case}"] = (f"xfs4iot://{address}/xfs4iot/v1.0?dialect={dialect}"
                                      "&timeout=20", transcript, dialect)
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
