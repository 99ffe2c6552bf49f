"""The traffic study reads terminal files by the service's rules: a note of the currency, a
note limit, a valid [policy] table, every problem at once; `locked` is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from denomination import InvalidRequest
from sim.traffic.terminal import read_terminal, terminal_from_mapping

TERMINALS = Path(__file__).resolve().parents[3] / "config" / "terminals"


def test_every_problem_is_listed_at_once():
    with pytest.raises(InvalidRequest) as caught:
        terminal_from_mapping({"currency": "CZK", "policy": {"reserve": {"300": 1}},
                               "cassettes": [{"id": "A", "denomination": 150, "count": 5},
                                             {"id": "B", "count": 5}]})
    assert set(caught.value.errors) == {"cassettes[0].denomination", "cassettes[1]",
                                        "policy.reserve", "note_limit"}
    assert "150 is not a CZK note" in caught.value.errors["cassettes[0].denomination"][0]


def test_locked_cassettes_stay_locked():
    terminal = terminal_from_mapping({"currency": "CZK", "note_limit": 40, "cassettes": [
        {"id": "A", "denomination": 100, "count": 5, "locked": True}]})
    assert terminal.cassettes[0].locked


@pytest.mark.parametrize("name", sorted(p.name for p in TERMINALS.glob("*.toml")))
def test_the_shipped_terminals_read(name):
    assert read_terminal(TERMINALS / name).cassettes
