"""A load the device took but the books lack (the process died between the two) is adopted
at start-up, journalled by `recovery`, and the ledger check balances again."""

from dataclasses import replace

import pytest

from kiosk_service.services.audit import BinCheck, audit_terminal

DEMO = "demo-czk"


@pytest.fixture
def dispenser_url(tmp_path):
    return f"sim://?seed=1&pace=0&take_after=0&state={tmp_path / 'device.json'}"


def _audit(app):
    deps = app.extensions["cashmix"]
    return audit_terminal(DEMO, uow=deps.unit_of_work(), clock=deps.clock,
                          devices=deps.devices, bins=BinCheck.EXACT)


def test_a_load_the_books_lack_is_adopted_at_start_up(make_app, new_key, caller):
    app = make_app()
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    quote = kiosk.quote(120000, {"kind": "counts", "counts": {"10000": 2}}).get_json()
    assert kiosk.dispense(quote).status_code == 201
    deps = app.extensions["cashmix"]
    with deps.unit_of_work() as uow:
        terminal = uow.terminals.get(DEMO)
    cassette = terminal.cassette("A")
    # What change_cassette does first, then the process dies before its commit.
    deps.devices.get(terminal).driver.load([replace(cassette, count=1500)])
    assert any("Cassette A: the service counts" in p for p in _audit(app).discrepancies)
    deps.devices.close()

    restarted = make_app()
    staff = caller(restarted.test_client(), new_key(restarted, "staff"))
    assert staff.get("/cassettes/A").get_json()["count"] == 1500
    entries = staff.get("/journal?kind=cassette_adjusted").get_json()["items"]
    assert [(e["actor"], e["before"]["count"], e["after"]["count"]) for e in entries] == \
        [("recovery", cassette.count, 1500)]
    assert _audit(restarted).discrepancies == ()


def test_a_cassette_that_gave_notes_since_its_load_is_left_alone(make_app, new_key, caller):
    app = make_app()
    kiosk = caller(app.test_client(), new_key(app, "kiosk"))
    quote = kiosk.quote(120000, {"kind": "counts", "counts": {"10000": 2}}).get_json()
    assert kiosk.dispense(quote).status_code == 201
    app.extensions["cashmix"].devices.close()
    restarted = make_app()
    staff = caller(restarted.test_client(), new_key(restarted, "staff"))
    assert staff.get("/journal?kind=cassette_adjusted").get_json()["items"] == []
    assert _audit(restarted).discrepancies == ()
