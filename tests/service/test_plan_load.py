"""`kiosk-service plan-load`: the next load from a terminal's own dispenses, through SQLite."""

import tomllib

from click.testing import CliRunner

from kiosk_service.cli import main
from kiosk_service.plan_load import current_load, recommend_load, recommendation_text

DEMO = "demo-czk"


def test_recommends_a_load_within_capacity_from_the_recorded_dispenses(app, recorded):
    deps = app.extensions["cashmix"]
    found = recommend_load(DEMO, uow=deps.unit_of_work(), days=3, trials=2)
    assert found.dispenses == recorded
    with open("config/terminals/demo-czk.toml", "rb") as file:
        configured = {c["id"]: c for c in tomllib.load(file)["cassettes"]}
    # the current load is what the import put in, not what is left after the dispenses
    assert found.current == {cid: c["count"] for cid, c in configured.items()}
    run = found.run
    assert run.test_seeds == (3, 4, 5, 6, 7, 8)
    assert sum(s.failures.withdrawals for s in run.planned.seeds) > 0
    load = dict(run.plan.chosen.candidate.load)
    low = dict(run.plan.chosen.candidate.thresholds)
    for cid, cassette in configured.items():
        assert isinstance(load[cid], int) and 1 <= load[cid] <= cassette["capacity"]
        assert 0 <= low[cid] < load[cid]
    text = recommendation_text(found)
    assert "current load" in text and "next load" in text and "change" in text


def test_current_load_follows_the_newest_replenishment(app, recorded):
    from kiosk_service.records import JournalEntry

    deps = app.extensions["cashmix"]
    with deps.unit_of_work() as uow:
        terminal = uow.terminals.get(DEMO)
        entries, _ = uow.journal.page(DEMO, kinds=["terminal_imported"], page_size=10)
    replenished = JournalEntry("cassette_replenished", DEMO, "staff", entries[0].at, subject="A",
                               after={"count": 777})
    load = current_load(terminal, [*entries, replenished])
    assert load["A"] == 777
    assert load["B"] == entries[0].after["cassettes"]["B"]["count"]


def test_the_command_prints_the_recommendation(database_url, recorded, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["plan-load", "--terminal", DEMO, "--days", "2",
                                       "--trials", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "next load / low" in result.output and "visits/month" in result.output


def test_a_terminal_without_dispenses_or_unknown_fails_cleanly(database_url, app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    for terminal in (DEMO, "nowhere"):
        result = CliRunner().invoke(main, ["plan-load", "--terminal", terminal])
        assert result.exit_code == 1 and "Error" in result.output
