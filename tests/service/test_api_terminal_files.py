"""Terminal files: the shipped ones load; a bad one lists every problem at once."""

from pathlib import Path

import pytest

from kiosk_service.errors import TerminalConfigError
from kiosk_service.terminal_files import load_terminal_file, parse_terminal

TERMINALS = Path(__file__).resolve().parents[2] / "config" / "terminals"


@pytest.mark.parametrize("path", sorted(TERMINALS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_terminal_file_loads(path):
    terminal = load_terminal_file(path)
    assert terminal.cassettes and terminal.host_secret_env


def test_the_demo_terminal_has_six_czk_cassettes_and_a_forty_note_limit():
    demo = load_terminal_file(TERMINALS / "demo-czk.toml")
    assert (demo.currency, demo.note_limit, len(demo.cassettes)) == ("CZK", 40, 6)
    assert demo.cassette("E").denomination == 200000


def test_there_are_eur_and_gbp_terminals():
    currencies = {load_terminal_file(p).currency for p in TERMINALS.glob("*.toml")}
    assert {"CZK", "EUR", "GBP"} <= currencies


def test_a_bad_file_lists_every_problem():
    with pytest.raises(TerminalConfigError) as caught:
        parse_terminal({
            "id": "bad id", "currency": "XXX", "note_limit": 0, "colour": "red",
            "cassettes": [{"id": "A", "denomination": 1.5, "count": -1},
                          {"id": "A", "denomination": 300, "count": 5, "capacity": 2}],
        })
    assert caught.value.code == "invalid_terminal_config"
    assert {"id", "name", "currency", "note_limit", "host_secret_env", "colour",
            "cassettes.0.denomination", "cassettes.0.count", "cassettes.1.id",
            "cassettes.1.count"} <= set(caught.value.errors)


def test_face_values_must_be_notes_of_the_currency():
    with pytest.raises(TerminalConfigError) as caught:
        parse_terminal({"id": "t", "name": "t", "currency": "CZK", "note_limit": 10,
                        "host_secret_env": "T_SECRET",
                        "cassettes": [{"id": "A", "denomination": "0.50", "count": 1},
                                      {"id": "B", "denomination": 300, "count": 1}]})
    assert set(caught.value.errors) == {"cassettes.0.denomination", "cassettes.1.denomination"}


def test_a_trailing_newline_is_not_part_of_a_valid_name():
    with pytest.raises(TerminalConfigError) as caught:
        parse_terminal({"id": "t\n", "name": "t", "currency": "CZK", "note_limit": 10,
                        "host_secret_env": "T_SECRET\n",
                        "cassettes": [{"id": "A\n", "denomination": 100, "count": 1,
                                       "unit": "unit1\n"}]})
    assert set(caught.value.errors) == {"id", "host_secret_env", "cassettes.0.id",
                                        "cassettes.0.unit"}


def test_an_unreadable_file_is_a_config_error(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("id = ")
    with pytest.raises(TerminalConfigError) as caught:
        load_terminal_file(broken)
    assert "file" in caught.value.errors
