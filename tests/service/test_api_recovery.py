"""Recovery: a dispense a dead process left in flight is settled from the device's counters."""

import os
import socket
import subprocess
import sys
from datetime import datetime

import pytest

from kiosk_service.records import DispenseRequest, HostAuthorization
from kiosk_service.services.accounting import snapshot
from kiosk_service.services.authorization import sign
from kiosk_service.services.dispenses import begin_dispense
from kiosk_service.services.recovery import abandoned

SECRET = "test-host-secret"


@pytest.fixture
def dispenser_url(tmp_path):
    return f"sim://?seed=1&pace=0&state={tmp_path / 'device.json'}"


def _crash_mid_dispense(app, quote: dict, clock, *, present: bool) -> str:
    """Do what a process does up to a crash: record the dispense, then drive the device, and
    stop before the outcome is written. Return the idempotency key used."""
    deps = app.extensions["cashmix"]
    with deps.unit_of_work() as uow:
        terminal = uow.terminals.get("demo-czk")
    device = deps.devices.get(terminal)
    expires = int(datetime.fromisoformat(quote["created_at"]).timestamp()) + 120
    authorization = HostAuthorization(expires, sign(SECRET, "demo-czk", quote["id"],
                                                    quote["amount"]["value"], "CZK", expires))
    request = DispenseRequest(quote["id"], authorization)
    held = begin_dispense("demo-czk", request, "crash", "kiosk:test",
                             snapshot(device.driver.status()), uow=deps.unit_of_work(),
                             clock=clock, settings=deps.dispense_settings)
    held = held.quote
    device.driver.dispense(dict(held.plan.by_cassette), amount=held.amount.value)
    if present:
        device.driver.present()
    deps.devices.close()
    return "crash"


@pytest.mark.parametrize("present", [False, True], ids=["stacked", "presented"])
def test_a_crash_mid_dispense_is_settled_at_start_up_and_never_paid_twice(
        make_app, new_key, caller, clock, present):
    app = make_app()
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    staff = caller(app.test_client(), new_key(app, "staff"))
    before = {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()}
    quote = kiosk.quote(350000).get_json()
    key = _crash_mid_dispense(app, quote, clock, present=present)

    restarted = make_app()
    kiosk = caller(restarted.test_client(), new_key(restarted, "kiosk"))
    staff = caller(restarted.test_client(), new_key(restarted, "staff"))
    recovered = staff.get("/journal?kind=dispense_recovered").get_json()["items"]
    assert len(recovered) == 1
    dispense = kiosk.get(f"/dispenses/{recovered[0]['subject']}").get_json()
    assert dispense["state"] != "in_flight" and dispense["error"] == "recovered"
    after = {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()}
    picked = {n["cassette"]: n["picked"] for n in dispense["notes"]}
    assert picked == quote["plan"]["by_cassette"]
    assert after == {cid: n - picked.get(cid, 0) for cid, n in before.items()}
    if not present:
        assert dispense["outcome"] == "none" and dispense["state"] == "failed"
        assert all(n["rejected"] == n["picked"] for n in dispense["notes"])

    replay = kiosk.dispense(quote, key=key)
    assert replay.status_code == 201 and replay.get_json()["id"] == dispense["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()} == after


def test_a_start_up_without_work_in_flight_changes_nothing(make_app, new_key, caller):
    app = make_app()
    staff = caller(app.test_client(), new_key(app, "staff"))
    journal = staff.get("/journal").get_json()["total"]
    make_app()
    assert staff.get("/journal").get_json()["total"] == journal


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(("owner", "gone"), [
    (lambda me: f"elsewhere:{os.getpid()}:abc", False),
    (lambda me: me, False),
    (lambda me: f"{socket.gethostname()}:{os.getpid()}:earlier", True),
    (lambda me: f"{socket.gethostname()}:{os.getppid()}:x", False),
    (lambda me: f"{socket.gethostname()}:{_dead_pid()}:x", True),
], ids=["other host", "this app", "earlier app here", "live process", "dead process"])
def test_recovery_takes_over_only_dispenses_of_processes_that_are_gone(owner, gone):
    me = f"{socket.gethostname()}:{os.getpid()}:now"
    assert abandoned(owner(me), me) is gone
