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
from sim.scenario import ScenarioError, load_scenario, parse_scenario

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
    err = capsys.readouterr().err
    assert f"{path}:2: cassettes[0].denomination: " in err      # at the cassette's header
    assert f"{path}: withdrawals: " in err                      # nowhere in the file: no line
    assert main(["run", str(tmp_path / "missing.toml")]) == 2


SCENARIO = """\
name = "checked"
currency = "CZK"

[device]
faults = [{fault}]

[[cassettes]]
id = "A"
denomination = {note}
count = {count}

[[cassettes]]
id = "B"
denomination = 200
count = 50

[[withdrawals]]
amount = 1000
preference = {wish}
"""
GOOD = {"fault": '"jam:A:1"', "note": "500", "count": "10", "wish": '{ kind = "fewest" }'}


def test_the_shaped_scenario_is_good(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(SCENARIO.format(**GOOD))
    assert load_scenario(path).withdrawals[0].amount == 100000


@pytest.mark.parametrize(("change", "place", "line"), [
    ({"note": "150"}, "cassettes[0].denomination", 9),                 # no 150 CZK note
    ({"note": "50000"}, "cassettes[0].denomination", 9),               # minor units
    ({"fault": '"jam:Z:3"'}, "device.faults", 5),                      # no cassette Z
    ({"wish": '{ kind = "bogus" }'}, "withdrawals[0].preference.kind", 19),
    ({"wish": '{ kind = "counts", counts = { "20000" = 5 } }'},        # minor units as keys
     "withdrawals[0].preference.counts", 19),
    ({"wish": '{ kind = "bounds", exclude = [2500] }'}, "withdrawals[0].preference.exclude", 19),
    ({"count": "-5"}, "cassettes[0].count", 10),
])
def test_each_bad_value_is_one_problem_at_its_line(tmp_path, capsys, change, place, line):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.format(**GOOD | change))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.code == "invalid_scenario"
    assert [(n, p) for n, p, _ in caught.value.located()] == [(line, place)]
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr()
    assert err.out == "" and f"{path}:{line}: {place}: " in err.err


def test_every_problem_of_a_file_is_listed_in_file_order(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.format(fault='"jam:Z:3"', note="150", count="-5",
                                    wish='{ kind = "bogus" }'))
    assert main(["run", str(path)]) == 2
    listed = capsys.readouterr().err.splitlines()[1:]
    assert [row.split(":")[1] for row in listed] == ["5", "9", "10", "19"]


def test_an_unknown_scenario_name_is_one_line_pointing_to_list(capsys):
    assert main(["run", "no-such-scenario"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kiosk-sim list" in err[0]


def test_a_shipped_scenario_runs_by_its_file_name_too(capsys):
    assert main(["run", "jam.toml"]) == 0


@pytest.mark.parametrize("module", ["sim.cli", "sim"])
def test_the_module_runs_as_a_program(module):
    run = subprocess.run([sys.executable, "-m", module, "run", str(SCENARIOS / "shutter.toml")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_scenario_values_become_minor_units():
    scenario = parse_scenario({**MINIMAL, "device": {"faults": ["jam:A:1"], "seed": 4}})
    assert scenario.cassettes[0].denomination == 50000
    assert scenario.withdrawals[0].amount == 100000
    assert "faults=jam:A:1" in scenario.url() and "seed=4" in scenario.url()


def test_a_wish_names_notes_by_face_value_and_plan_mix_gets_minor_units():
    wish = {"kind": "bounds", "min": {"500": 1}, "max": {"200": 2}, "exclude": [1000]}
    scenario = parse_scenario({**MINIMAL, "withdrawals": [{"amount": 1000, "preference": wish}]})
    assert scenario.withdrawals[0].preference == {
        "kind": "bounds", "min": {50000: 1}, "max": {20000: 2}, "exclude": [100000]}


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
