"""End to end: the real server over HTTP on the simulator with faults, then a crash."""

import contextlib
import sqlite3
import threading
import time

from kiosk_service.services.authorization import sign
from tests.e2e.conftest import SECRET, dispensers


def _authorized(quote: dict, **extra) -> dict:
    expires = int(time.time()) + 120
    signature = sign(SECRET, "demo-czk", quote["id"], quote["amount"]["value"], "CZK", expires)
    return {"quote_id": quote["id"],
            "authorization": {"expires_at": expires, "signature": signature}} | extra


def _counts(staff) -> dict:
    status, body, _ = staff.call("GET", "/api/v1/terminals/demo-czk/cassettes")
    assert status == 200
    return {c["id"]: c["count"] for c in body}


def test_quotes_and_dispenses_over_http_with_faults_keep_every_note(server, database, tmp_path):
    _, kiosk_key, staff_key = database
    device = f"sim://?seed=5&pace=0&faults=jam:C:2,no_take:3,double_pick:0.1" \
             f"&state={tmp_path / 'device.json'}"
    http = server.start(CASHMIX_DISPENSERS=dispensers({"demo-czk": device}),
                        CASHMIX_TAKE_TIMEOUT_SECONDS="5")
    kiosk, staff = type(http)(http.base, kiosk_key), type(http)(http.base, staff_key)
    assert http.call("GET", "/healthz")[0] == 200
    before = _counts(staff)
    outcomes = []
    for round_, (value, kind) in enumerate([(350000, "fewest"), (120000, "mixed"),
                                            (250000, "small"), (350000, "fewest"),
                                            (80000, "fewest"), (170000, "mixed")]):
        status, quote, _ = kiosk.call("POST", "/api/v1/terminals/demo-czk/quotes",
                                      {"amount": {"value": value, "currency": "CZK"},
                                       "preference": {"kind": kind}})
        assert status == 201, quote
        body = _authorized(quote, complete_from_other_cassettes=round_ % 2 == 1)
        status, dispense, _ = kiosk.call("POST", "/api/v1/terminals/demo-czk/dispenses", body,
                                         {"Idempotency-Key": f"e2e-{round_}"})
        assert status == 201, dispense
        outcomes.append(dispense)
    assert {d["outcome"] for d in outcomes} >= {"complete"}
    assert {d["state"] for d in outcomes} >= {"taken", "retracted"}
    picked = {}
    for dispense in outcomes:
        for note in dispense["notes"]:
            picked[note["cassette"]] = picked.get(note["cassette"], 0) + note["picked"]
    assert _counts(staff) == {c: n - picked.get(c, 0) for c, n in before.items()}
    status, journal, _ = staff.call("GET", "/api/v1/terminals/demo-czk/journal"
                                           "?kind=dispense_finished&page_size=100")
    assert journal["total"] == len(outcomes)
    assert {e["subject"] for e in journal["items"]} == {d["id"] for d in outcomes}


def test_a_server_killed_mid_dispense_settles_it_at_restart(server, database, tmp_path):
    url, kiosk_key, staff_key = database
    state = tmp_path / "device.json"
    device = f"sim://?seed=1&pace=1&state={state}"
    http = server.start(CASHMIX_DISPENSERS=dispensers({"demo-czk": device}))
    kiosk, staff = type(http)(http.base, kiosk_key), type(http)(http.base, staff_key)
    before = _counts(staff)
    status, quote, _ = kiosk.call("POST", "/api/v1/terminals/demo-czk/quotes",
                                  {"amount": {"value": 350000, "currency": "CZK"}})
    assert status == 201
    body = _authorized(quote)
    attempt = threading.Thread(target=_try_dispense, args=(kiosk, body), daemon=True)
    attempt.start()
    _wait_for_in_flight(url.removeprefix("sqlite:///"))
    server.kill()
    attempt.join(timeout=30)

    device = f"sim://?seed=1&pace=0&state={state}"
    http = server.start(CASHMIX_DISPENSERS=dispensers({"demo-czk": device}))
    kiosk, staff = type(http)(http.base, kiosk_key), type(http)(http.base, staff_key)
    status, journal, _ = staff.call("GET", "/api/v1/terminals/demo-czk/journal"
                                           "?kind=dispense_recovered")
    assert status == 200 and journal["total"] == 1
    status, dispense, _ = kiosk.call("GET", "/api/v1/terminals/demo-czk/dispenses/"
                                            + journal["items"][0]["subject"])
    assert dispense["state"] != "in_flight" and dispense["error"] == "recovered"
    picked = {n["cassette"]: n["picked"] for n in dispense["notes"]}
    assert _counts(staff) == {c: n - picked.get(c, 0) for c, n in before.items()}
    status, again, headers = kiosk.call("POST", "/api/v1/terminals/demo-czk/dispenses", body,
                                        {"Idempotency-Key": "crash"})
    assert status == 201 and again["id"] == dispense["id"]
    assert headers["Idempotent-Replayed"] == "true"
    assert _counts(staff) == {c: n - picked.get(c, 0) for c, n in before.items()}


def _try_dispense(kiosk, body: dict) -> None:
    with contextlib.suppress(OSError):      # the server dies under us: that is the point
        kiosk.call("POST", "/api/v1/terminals/demo-czk/dispenses", body,
                   {"Idempotency-Key": "crash"})


def _wait_for_in_flight(path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(path) as connection:
            rows = connection.execute(
                "SELECT COUNT(*) FROM dispenses WHERE state = 'in_flight'").fetchone()
        if rows[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the dispense never started")
