"""A terminal file's cassette may name the device's storage unit (`unit`): validated, stored,
exported, and handed to the driver; the simulator refuses unit names it cannot honour."""

from __future__ import annotations

import tomllib

import pytest

from kiosk_service.errors import TerminalConfigError
from kiosk_service.hardware import DriverURLError, open_dispenser
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import parse_terminal
from kiosk_service.terminal_toml import to_toml
from tests.service.conftest import TERMINALS


def demo_with(**changes) -> dict:
    data = tomllib.loads((TERMINALS / "demo-czk.toml").read_text(encoding="utf-8"))
    for index, unit in changes.items():
        data["cassettes"][int(index.removeprefix("c"))]["unit"] = unit
    return data


def test_units_are_read_and_exported():
    terminal = parse_terminal(demo_with(c0="unit7", c2="unit3"))
    assert terminal.unit_names == {"A": "unit7", "C": "unit3"}
    assert parse_terminal(tomllib.loads(to_toml(terminal))) == terminal


@pytest.mark.parametrize("units, field", [
    ({"c0": "cassette-A"}, "cassettes.0.unit"),
    ({"c0": "unit1", "c1": "unit1"}, "cassettes.1.unit"),
])
def test_a_bad_or_repeated_unit_is_refused_with_its_place(units, field):
    with pytest.raises(TerminalConfigError) as caught:
        parse_terminal(demo_with(**units))
    assert field in caught.value.details["errors"]


def test_units_survive_the_database(make_app, clock):
    app = make_app()
    deps = app.extensions["cashmix"]
    terminal = parse_terminal(demo_with(c1="unit9"))
    import_terminal(terminal, uow=deps.unit_of_work(), clock=clock)
    with deps.unit_of_work() as uow:
        assert uow.terminals.get(terminal.id).unit_names == {"B": "unit9"}


def test_the_simulator_refuses_unit_names():
    with pytest.raises(DriverURLError) as caught:
        open_dispenser("sim://?seed=1", units={"A": "unit7"})
    assert caught.value.details["errors"] == {"unit": ["A"]}
