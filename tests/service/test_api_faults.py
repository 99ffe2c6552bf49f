"""Faults on the simulator: jams, partial dispenses, customers who walk away, shutters."""

import pytest

FEWEST_350 = {"C": 1, "D": 1, "E": 1}


@pytest.fixture
def device_counts(app):
    """Return a function giving cassette id -> notes as the dispenser believes."""
    deps = app.extensions["cashmix"]

    def read() -> dict[str, int]:
        with deps.unit_of_work() as uow:
            terminal = uow.terminals.get("demo-czk")
        device = deps.devices.get(terminal)
        return {unit.id: unit.count for unit in device.driver.status().cassettes}
    return read


def _assert_accounted(dispense: dict, before: dict, after: dict) -> None:
    """Every note that left a cassette is in the dispense, and the counts moved by exactly it."""
    picked = {n["cassette"]: n["picked"] for n in dispense["notes"]}
    for cassette, n in before.items():
        assert after[cassette] == n - picked.get(cassette, 0)
    for note in dispense["notes"]:
        assert note["picked"] == note["stacked"] + note["rejected"] + note["unknown"]
    delivered = sum(n["denomination"] * (n["presented"] - n["retracted"])
                    for n in dispense["notes"])
    assert dispense["dispensed"]["value"] == delivered
    assert dispense["shortfall"]["value"] == dispense["amount"]["value"] - delivered


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=jam:E"])
def test_a_jam_gives_a_partial_result_and_takes_the_cassette_out(kiosk, staff, counts,
                                                                 device_counts):
    quote = kiosk.quote(350000).get_json()
    assert quote["plan"]["by_cassette"] == FEWEST_350
    before = counts()
    response = kiosk.dispense(quote)
    assert response.status_code == 201
    dispense = response.get_json()
    assert dispense["outcome"] in ("partial", "none") and dispense["shortfall"]["value"] > 0
    assert dispense["error"] == "cash_unit_error"
    _assert_accounted(dispense, before, counts())
    assert counts() == device_counts()
    assert staff.get("/cassettes/E").get_json()["status"] == "inoperative"
    kinds = [e["kind"] for e in staff.get("/journal").get_json()["items"]]
    assert "cassette_status_changed" in kinds and kinds[-1] == "dispense_finished"


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=jam:E"])
def test_a_jam_can_be_completed_from_the_other_cassettes(kiosk, staff, counts, device_counts):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    dispense = kiosk.dispense(quote, complete_from_other_cassettes=True).get_json()
    assert dispense["outcome"] == "complete" and dispense["state"] == "taken"
    assert dispense["error"] == "completed_after_jam"
    _assert_accounted(dispense, before, counts())
    assert counts() == device_counts()
    assert staff.get("/cassettes/E").get_json()["status"] == "inoperative"
    assert staff.get("/cassettes/E").get_json()["held"] == 0


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=no_take"])
def test_cash_left_behind_is_retracted_and_reported(kiosk, counts, device_counts):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    dispense = kiosk.dispense(quote).get_json()
    assert dispense["state"] == "retracted" and dispense["outcome"] == "none"
    assert dispense["shortfall"]["value"] == 350000
    assert all(n["retracted"] == n["presented"] == n["planned"] for n in dispense["notes"])
    _assert_accounted(dispense, before, counts())


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=no_take"])
def test_the_host_can_retract_presented_cash(make_app, new_key, caller):
    app = make_app(TAKE_TIMEOUT_SECONDS=0)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    staff = caller(app.test_client(), new_key(app, "staff"))
    before = {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()}
    quote = kiosk.quote(350000).get_json()
    dispense = kiosk.dispense(quote).get_json()
    assert dispense["state"] == "presented" and dispense["outcome"] == "complete"
    retracted = kiosk.post(f"/dispenses/{dispense['id']}/retract").get_json()
    assert retracted["state"] == "retracted" and retracted["shortfall"]["value"] == 350000
    _assert_accounted(retracted, before, {c["id"]: c["count"]
                                          for c in staff.get("/cassettes").get_json()})
    again = kiosk.post(f"/dispenses/{dispense['id']}/retract")
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_state"


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=shutter"])
def test_a_shutter_that_does_not_open_rejects_the_stack(kiosk, counts, device_counts):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    dispense = kiosk.dispense(quote).get_json()
    assert dispense["state"] == "failed" and dispense["error"] == "shutter_not_open"
    assert dispense["shortfall"]["value"] == 350000
    _assert_accounted(dispense, before, counts())
    assert counts() == device_counts()


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=power_loss:1:2"])
def test_a_power_loss_mid_dispense_presents_what_was_stacked(kiosk, counts, device_counts):
    quote = kiosk.quote(350000).get_json()
    before = counts()
    dispense = kiosk.dispense(quote).get_json()
    assert dispense["error"] == "power_failure"
    assert sum(n["stacked"] for n in dispense["notes"]) == 2
    _assert_accounted(dispense, before, counts())
    assert counts() == device_counts()


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=3&pace=0&faults=double_pick:0.3"])
def test_rejected_notes_are_counted_off_the_cassettes(kiosk, counts, device_counts):
    for _ in range(5):
        quote = kiosk.quote(350000, {"kind": "small"}).get_json()
        before = counts()
        dispense = kiosk.dispense(quote, key=quote["id"]).get_json()
        assert dispense["outcome"] == "complete"
        _assert_accounted(dispense, before, counts())
    assert counts() == device_counts()


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=1&take_after=5"])
def test_a_presented_dispense_settles_when_read_after_the_customer_took_it(make_app, new_key,
                                                                          caller, clock):
    app = make_app(TAKE_TIMEOUT_SECONDS=0)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    dispense = kiosk.dispense(kiosk.quote(350000).get_json()).get_json()
    assert dispense["state"] == "presented"
    assert kiosk.get(f"/dispenses/{dispense['id']}").get_json()["state"] == "presented"
    clock.advance(10)
    staff = caller(app.test_client(), new_key(app, "staff"))
    before = {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()}
    read = kiosk.get(f"/dispenses/{dispense['id']}").get_json()
    assert read["state"] == "taken" and read["outcome"] == "complete"
    assert all(n["taken"] == n["presented"] for n in read["notes"])
    assert {c["id"]: c["count"] for c in staff.get("/cassettes").get_json()} == before


@pytest.mark.parametrize("dispenser_url", ["sim://?seed=1&pace=0&faults=no_take"])
def test_no_new_dispense_while_cash_waits_at_the_output(make_app, new_key, caller):
    app = make_app(TAKE_TIMEOUT_SECONDS=0)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    first = kiosk.dispense(kiosk.quote(350000).get_json(), key="first").get_json()
    second_quote = kiosk.quote(100000).get_json()
    refused = kiosk.dispense(second_quote, key="second")
    assert refused.status_code == 409 and refused.get_json()["code"] == "invalid_state"
    assert kiosk.post(f"/dispenses/{first['id']}/retract").get_json()["state"] == "retracted"
    assert kiosk.dispense(second_quote, key="second").get_json()["state"] == "presented"
    stale = kiosk.post(f"/dispenses/{first['id']}/retract")
    assert stale.status_code == 409


def test_dispenses_and_staff_changes_follow_each_other_when_the_service_does_not_wait(
        make_app, new_key, caller):
    app = make_app(TAKE_TIMEOUT_SECONDS=0)
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    staff = caller(app.test_client(), new_key(app, "staff"))
    first = kiosk.dispense(kiosk.quote(350000).get_json(), key="one").get_json()
    second = kiosk.dispense(kiosk.quote(120000).get_json(), key="two").get_json()
    assert second["outcome"] == "complete" and second["error"] is None
    assert kiosk.get(f"/dispenses/{first['id']}").get_json()["state"] == "taken"
    assert staff.patch("/cassettes/A", {"count": 10, "reason": "recount"}).status_code == 200
    third = kiosk.dispense(kiosk.quote(200000).get_json(), key="three").get_json()
    assert third["outcome"] == "complete" and third["error"] is None
