"""The summary table says "n/a" for figures a run cannot give: per-month rates of a short run,
idle cash of a policy nobody visited; money in the locale's form."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kiosk_service.formatting import format_money
from sim.traffic.export import NO_VISITS, SHORT_RUN, summary_table
from sim.traffic.metrics import MIN_DAYS_FOR_MONTHLY, summarise
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.study import Study, run_study
from sim.traffic.terminal import read_terminal

TYPICAL = Path(__file__).resolve().parents[3] / "config" / "demand" / "typical-czk-atm.toml"


@pytest.fixture(scope="module")
def one_day():
    typical = read_terminal(TYPICAL)
    tree = load_tree(overrides=["volume.per_day=40"])
    study = Study(typical, build_profile(tree, "CZK"), days=1, seed=2, policies=("cashmix",))
    run = run_study(study, run_out=False).operating["cashmix"]
    return summarise(run, typical)


def cells(summary) -> list[str]:
    row = summary_table([summary], "CZK").splitlines()[-1]
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_a_short_run_without_visits_says_n_a(one_day):
    assert one_day.days < MIN_DAYS_FOR_MONTHLY and one_day.visits == 0
    assert one_day.idle_cash is None
    assert cells(one_day)[8:10] == [SHORT_RUN, NO_VISITS]


def test_a_month_long_run_shows_its_rates_and_money(one_day):
    month = replace(one_day, days=30.0, visits=2, visits_per_month=2.0, idle_cash=11336650,
                    mean_cash=200000)
    assert cells(month)[8:11] == ["2.0", format_money(11336700, "CZK"),
                                  format_money(200000, "CZK")]
