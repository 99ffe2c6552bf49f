"""Property: whatever customers, staff, faults and time do, the books match the device.

Random runs of quotes, dispenses (some completing after a jam), retracts, staff recounts and
time passing, on a simulator with random faults. After every step the database's cassette
counts equal the dispenser's own, the hold counters equal the live holds, and nothing
answers 500.
"""

import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk_service.services.authorization import sign

SECRET = "test-host-secret"
AMOUNTS = [10000, 30000, 50000, 120000, 350000, 700000, 1300000]
KINDS = ["fewest", "small", "mixed", "options"]

steps = st.one_of(
    st.tuples(st.just("quote"), st.sampled_from(AMOUNTS), st.sampled_from(KINDS)),
    st.tuples(st.just("dispense"), st.sampled_from(AMOUNTS), st.booleans()),
    st.tuples(st.just("retract")),
    st.tuples(st.just("recount"), st.sampled_from("ABCDEF"), st.integers(0, 30)),
    st.tuples(st.just("wait"), st.sampled_from([1, 30, 61])),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), jam_after=st.integers(0, 6),
       run=st.lists(steps, min_size=3, max_size=12))
def test_the_books_always_match_the_device(make_app, new_key, caller, clock, seed, jam_after,
                                           run):
    faults = f"double_pick:0.05,pick_fail:0.05,jam:C:{jam_after},no_take:0.3,shutter:0.1," \
             "power_loss:0.1"
    app = make_app(TAKE_TIMEOUT_SECONDS=0, DISPENSERS={"demo-czk": f"sim://?seed={seed}&pace=0"
                                                       f"&faults={faults}"},
                   fresh=True)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    staff = caller(app.test_client(), new_key(app, "staff"))
    quotes, dispenses = [], []
    for step in run:
        response = _do(step, kiosk, staff, clock, quotes, dispenses)
        assert response is None or response.status_code < 500, response.get_json()
        _assert_books_match(app)


def _do(step, kiosk, staff, clock, quotes, dispenses):
    match step:
        case ("quote", amount, kind):
            response = kiosk.quote(amount, {"kind": kind})
            if response.status_code == 201:
                quotes.append(response.get_json())
            return response
        case ("dispense", amount, complete):
            quoted = kiosk.quote(amount, {"kind": "fewest"})
            if quoted.status_code != 201:
                return quoted
            quote = quoted.get_json()
            expires = int(clock.now().timestamp()) + 100
            signature = sign(SECRET, "demo-czk", quote["id"], quote["amount"]["value"], "CZK",
                             expires)
            response = kiosk.post("/dispenses", {
                "quote_id": quote["id"], "complete_from_other_cassettes": complete,
                "authorization": {"expires_at": expires, "signature": signature}},
                headers={"Idempotency-Key": uuid.uuid4().hex})
            if response.status_code == 201:
                dispenses.append(response.get_json())
            return response
        case ("retract",) if dispenses:
            return kiosk.post(f"/dispenses/{dispenses[-1]['id']}/retract")
        case ("recount", cassette, count):
            return staff.patch(f"/cassettes/{cassette}", {"count": count, "status": "ok",
                                                         "reason": "property recount"})
        case ("wait", seconds):
            clock.advance(seconds)
    return None


def _assert_books_match(app) -> None:
    deps = app.extensions["cashmix"]
    with deps.unit_of_work() as uow:
        terminal = uow.terminals.get("demo-czk")
        every_hold = uow.quotes.held_notes("demo-czk", at=datetime(2000, 1, 1, tzinfo=UTC))
        assert uow.quotes.held_counters("demo-czk") == every_hold
    device = deps.devices.get(terminal)
    with device.lock:
        on_device = {unit.id: unit.count for unit in device.driver.status().cassettes}
    assert {c.id: c.count for c in terminal.cassettes} == on_device
