"""`kiosk-sim`: exit statuses, the installed command, and scenario validation."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from kiosk_service.hardware import DeviceStatus, OutputPosition
from kiosk_service.hardware.status import BinKind, BinState, DeviceState, ShutterState
from sim.book import Book
from sim.cli import main
from sim.scenario import ScenarioError, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "sim" / "scenarios"

MINIMAL = {"currency": "CZK",
           "cassettes": [{"id": "A", "denomination": 500, "count": 10}],
           "withdrawals": [{"amount": 1000}]}


def test_the_console_script_is_declared():
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts["kiosk-sim"] == "sim.cli:main"


def test_running_a_scenario_prints_a_table_and_exits_zero(capsys):
    assert main(["run", str(SCENARIOS / "jam.toml")]) == 0
    out = capsys.readouterr().out
    assert "jam B" in out and "OK: every note is accounted for." in out


def test_a_shipped_scenario_runs_by_name(capsys):
    assert main(["run", "walk-away"]) == 0
    assert "retracted" in capsys.readouterr().out


def test_list_names_every_shipped_scenario(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == sorted(p.stem for p in SCENARIOS.glob("*.toml"))


def test_a_bad_scenario_exits_two(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('currency = "CZK"\n[[cassettes]]\nid = "A"\n')
    assert main(["run", str(path)]) == 2
    assert "invalid_scenario" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.toml")]) == 2


def test_the_module_runs_as_a_program():
    run = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(SCENARIOS / "shutter.toml")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_scenario_values_become_minor_units():
    scenario = parse_scenario({**MINIMAL, "device": {"faults": ["jam:A:1"], "seed": 4}})
    assert scenario.cassettes[0].denomination == 50000
    assert scenario.withdrawals[0].amount == 100000
    assert "faults=jam:A:1" in scenario.url() and "seed=4" in scenario.url()


def test_repeat_expands_a_withdrawal():
    scenario = parse_scenario({**MINIMAL, "withdrawals": [{"amount": 500, "repeat": 3}]})
    assert [w.amount for w in scenario.withdrawals] == [50000] * 3


def test_a_scenario_lists_every_problem_at_once():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"currency": "XXX", "colour": "red",
                        "device": {"faults": ["warp"], "max_notes": 0},
                        "cassettes": [{"id": "A", "denomination": 0.5, "count": 20,
                                       "capacity": 10}],
                        "withdrawals": []})
    assert caught.value.code == "invalid_scenario"
    assert set(caught.value.errors) == {
        "currency", "scenario.colour", "device.faults", "device.max_notes",
        "cassettes[0].denomination", "cassettes[0].count", "withdrawals"}


def empty_status(**changes) -> DeviceStatus:
    values = dict(device=DeviceState.ONLINE, position=OutputPosition.IDLE,
                  shutter=ShutterState.CLOSED, cassettes=(),
                  reject_bin=BinState(BinKind.REJECT), retract_bin=BinState(BinKind.RETRACT),
                  max_dispense_items=40)
    return DeviceStatus(**{**values, **changes})


def test_the_book_names_notes_its_reports_do_not_place():
    book = Book()
    book.places["taken"][("CZK", 50000)] = 2
    physical = {"taken": Counter({("CZK", 50000): 1}), "reject_bin": Counter({("CZK", 50000): 1})}
    assert book.differences(physical, empty_status()) == {
        "taken": {("CZK", 50000): -1}, "reject_bin": {("CZK", 50000): 1}}


def test_the_book_reads_a_take_the_device_shows_but_has_not_reported():
    book = Book()
    book.places["stack"][("CZK", 50000)] = 2
    physical = {"taken": Counter({("CZK", 50000): 2})}
    assert book.differences(physical, empty_status(position=OutputPosition.TAKEN)) == {}
