"""The `[policy]` table of a terminal file: loaded into the terminal, every problem listed."""

from pathlib import Path

import pytest

from denomination.preferences import PreferenceKind
from kiosk_service.errors import TerminalConfigError
from kiosk_service.terminal_files import load_terminal_file, parse_terminal

BASE = {"id": "t", "name": "T", "currency": "CZK", "note_limit": 30, "host_secret_env": "T_SECRET",
        "cassettes": [{"id": "A", "denomination": 100, "count": 10}]}

TERMINALS = Path(__file__).resolve().parents[2] / "config" / "terminals"


def test_the_policy_table_loads_beside_the_terminals_note_limit():
    terminal = parse_terminal(BASE | {"policy": {"offered": ["mixed", "fewest"],
                                                 "default": "mixed", "reserve": {"100": 5}}})
    assert terminal.policy.offered == (PreferenceKind.MIXED, PreferenceKind.FEWEST)
    assert terminal.policy.reserve == ((10000, 5),) and terminal.note_limit == 30
    assert not hasattr(terminal.policy, "note_limit")       # one value, one place


def test_a_file_without_a_policy_offers_everything():
    terminal = parse_terminal(BASE)
    assert terminal.policy is None
    assert terminal.dispensing.offered == tuple(PreferenceKind)


def test_every_policy_problem_is_listed_under_policy():
    with pytest.raises(TerminalConfigError) as caught:
        parse_terminal(BASE | {"policy": {"offered": ["fewest", "cheapest"], "default": "small",
                                          "reserve": {"300": 1}, "note_limit": 10,
                                          "locale": "xx", "colour": "red"}})
    assert caught.value.code == "invalid_terminal_config"
    assert {"policy.offered", "policy.default", "policy.reserve", "policy.note_limit",
            "policy.locale", "policy.colour"} <= set(caught.value.errors)


def test_the_shipped_leeds_terminal_keeps_five_pound_notes_in_reserve():
    leeds = load_terminal_file(TERMINALS / "leeds-gbp.toml")
    assert dict(leeds.policy.reserve) == {500: 200}
    assert PreferenceKind.COUNTS not in leeds.policy.offered
