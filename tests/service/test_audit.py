"""The ledger check: a clean terminal balances; a tampered count, a stuck dispense, a note
the device lost and a doubly used quote each show as a sentence (and exit 1 on the CLI)."""

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from kiosk_service.cli import main
from kiosk_service.persistence.tables import CassetteRow, DispenseRow
from kiosk_service.services.audit import BinCheck, audit_all, audit_terminal

DEMO = "demo-czk"


@pytest.fixture
def dispenser_url(tmp_path):
    return f"sim://?seed=1&pace=0&state={tmp_path / 'device.json'}&take_after=0"


def _audit(app, *, bins=BinCheck.EXACT, grace=timedelta(minutes=2)):
    deps = app.extensions["cashmix"]
    return audit_terminal(DEMO, uow=deps.unit_of_work(), clock=deps.clock,
                          devices=deps.devices, bins=bins, grace=grace)


def _pay(kiosk, amounts, preference=None):
    for n, value in enumerate(amounts):
        quote = kiosk.quote(value, preference).get_json()
        response = kiosk.dispense(quote, key=f"audit-{n}")
        assert response.status_code == 201, response.get_json()


@pytest.fixture
def kiosk(app, new_key, caller):
    return caller(app.test_client(), new_key(app, "kiosk"))


def test_a_terminal_after_dispenses_and_a_replenishment_balances(app, kiosk, new_key, caller):
    _pay(kiosk, [350000, 120000, 50000])
    staff = caller(app.test_client(), new_key(app, "staff"))
    assert staff.put("/cassettes/A", {"count": 1500, "reason": "replenish"}).status_code == 200
    assert staff.patch("/cassettes/B", {"count": 598, "reason": "recount"}).status_code == 200
    audit = _audit(app)
    assert audit.discrepancies == ()
    assert audit.dispenses == 3 and audit.device_compared
    assert sum(d * n for d, n in audit.with_customers.items()) == 520000
    loaded = sum(audit.loaded.values())
    placed = sum(audit.in_cassettes.values()) + sum(audit.with_customers.values()) + \
        sum(audit.reject_bin.values()) + sum(audit.retract_bin.values())
    assert loaded == placed
    assert "counts equal the device's" in audit.summary()


def test_a_count_changed_behind_the_journal_is_found(app, kiosk):
    _pay(kiosk, [120000])
    deps = app.extensions["cashmix"]
    with deps.engine.begin() as connection:
        connection.execute(update(CassetteRow).where(CassetteRow.terminal_id == DEMO,
                                                     CassetteRow.id == "A")
                           .values(count=CassetteRow.count - 3))
    problems = _audit(app).discrepancies
    assert any("Cassette A: the journal explains" in p for p in problems)
    assert any("Cassette A: the service counts" in p and "the device" in p for p in problems)
    assert any("have no place" in p for p in problems)


def test_a_dispense_left_in_flight_is_stuck_after_the_grace(app, kiosk, clock):
    _pay(kiosk, [120000])
    deps = app.extensions["cashmix"]
    with deps.engine.begin() as connection:
        connection.execute(update(DispenseRow).values(state="in_flight"))
    assert not any("in flight" in p for p in _audit(app).discrepancies)
    clock.advance(timedelta(minutes=3))
    stuck = [p for p in _audit(app).discrepancies if "in flight" in p]
    assert len(stuck) == 1 and "CZK\u00a01,200" in stuck[0]


def test_notes_the_service_did_not_move_are_found(app, kiosk):
    _pay(kiosk, [120000])
    deps = app.extensions["cashmix"]
    with deps.unit_of_work() as uow:
        terminal = uow.terminals.get(DEMO)
    driver = deps.devices.get(terminal).driver
    unit = next(u for u in driver.status().cassettes if u.dispensable)
    # The device stacks a note behind the service's back and rejects it: the reject bin
    # holds a note no dispense put there.
    driver.dispense({unit.id: 1}, amount=unit.denomination)
    driver.reject()
    problems = _audit(app).discrepancies
    assert any("the service counts" in p for p in problems)
    assert any(p.startswith("The reject bin holds") for p in problems)
    assert not any(p.startswith("The reject bin") for p in
                   _audit(app, bins=BinCheck.AT_LEAST).discrepancies)


def test_audit_all_and_the_cli(app, kiosk, database_url, monkeypatch, dispenser_url):
    _pay(kiosk, [120000])
    deps = app.extensions["cashmix"]
    assert [a.terminal_id for a in audit_all(uow=deps.unit_of_work(), clock=deps.clock,
                                             devices=None)] == [DEMO, "vienna-eur"]
    deps.devices.close()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CASHMIX_DISPENSERS", f'{{"{DEMO}" = "{dispenser_url}"}}')
    runner = CliRunner()
    clean = runner.invoke(main, ["audit", "--terminal", DEMO], catch_exceptions=False)
    assert clean.exit_code == 0, clean.output
    assert clean.output.count("\n") == 1 and "0 discrepancies" in clean.output
    with deps.engine.begin() as connection:
        connection.execute(update(CassetteRow).where(CassetteRow.id == "B")
                           .values(count=CassetteRow.count + 1))
    dirty = runner.invoke(main, ["audit", "--terminal", DEMO], catch_exceptions=False)
    assert dirty.exit_code == 1
    assert "Cassette B" in dirty.output
    missing = runner.invoke(main, ["audit", "--terminal", "nowhere"])
    assert missing.exit_code == 1 and "nowhere" in missing.output
