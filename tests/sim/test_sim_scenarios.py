"""The shipped scenarios run, account for every note, and show the fault they are about."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_service.hardware import CassetteStatus, ManualClock
from sim.runner import run_scenario
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "sim" / "scenarios"


def run(name: str):
    return run_scenario(load_scenario(SCENARIOS / f"{name}.toml"), clock=ManualClock())


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_accounts_for_every_note(path):
    report = run_scenario(load_scenario(path), clock=ManualClock())
    assert report.ok and report.unaccounted == {}
    assert report.outcomes and report.elapsed.total_seconds() > 0


def test_a_normal_day_serves_everyone():
    report = run("normal-day")
    assert {o.ending for o in report.outcomes} == {"taken"}
    assert all(o.taken == o.withdrawal.amount for o in report.outcomes)


def test_a_jam_is_re_planned_without_the_jammed_cassette():
    report = run("jam")
    jammed = report.outcomes[1]
    assert jammed.errors == ("cash_unit_error",) and jammed.ending == "taken"
    assert 100000 not in jammed.plan and jammed.taken == jammed.withdrawal.amount
    assert report.status.cassette("B").status == CassetteStatus.INOPERATIVE


def test_a_customer_who_walks_away_is_not_paid():
    report = run("walk-away")
    assert [o.ending for o in report.outcomes] == ["taken", "retracted", "taken"]
    assert report.outcomes[1].taken == 0 and report.outcomes[1].retracted > 0
    assert report.status.retract_bin.count == report.outcomes[1].retracted


def test_a_count_mismatch_is_found_when_the_cassette_runs_dry():
    report = run("count-mismatch")
    assert report.status.cassette("C").shortfall == 4 and report.mismatch == {}
    assert report.outcomes[2].errors == ("cash_unit_error",)
    assert report.outcomes[2].taken == report.outcomes[2].withdrawal.amount


def test_a_power_loss_is_recovered_by_reset():
    report = run("power-loss")
    assert [o.ending for o in report.outcomes] == ["taken", "power_failure", "taken", "taken"]
    assert report.outcomes[1].rejected == 5


def test_a_shutter_failure_rejects_the_stack():
    report = run("shutter")
    assert report.outcomes[1].ending == "shutter_not_open"
    assert report.outcomes[1].taken == 0 and report.outcomes[2].ending == "taken"
