"""Line numbers of TOML keys, for scenario problems (tomllib gives none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.toml_lines import key_lines, line_of

TEXT = '''\
name = "x"            # 1
faults = [            # 2
  "a = b",            # 3: inside the array, not a key
]
note = """
k = v
"""                   # 5-7: inside a string
[device]              # 8
seed = 1
[[cassettes]]         # 10
id = "A"
[[cassettes]]         # 12
"id" = "B"
wish.kind = "small"   # 14: a dotted key
[cassettes.extra]     # 15: a sub-table of the second cassette
depth = 2
'''


@pytest.mark.parametrize(("place", "line"), [
    ("name", 1), ("faults", 2), ("note", 5), ("device", 8), ("device.seed", 9),
    ("cassettes[0]", 10), ("cassettes[0].id", 11), ("cassettes[1].id", 13),
    ("cassettes[1].wish.kind", 14), ("cassettes[1].extra.depth", 16),
    ("cassettes[1].count", 12),              # missing key: its table's header
    ("cassettes[0].wish.kind", 10),
])
def test_a_place_finds_its_line_or_its_table(place, line):
    assert line_of(key_lines(TEXT), place) == line


def test_keys_inside_values_are_not_keys():
    lines = key_lines(TEXT)
    assert "a" not in lines and "k" not in lines and line_of(lines, "withdrawals") is None


def test_every_key_of_a_shipped_scenario_has_its_line():
    path = Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "normal-day.toml"
    text = path.read_text()
    lines = key_lines(text)
    rows = text.splitlines()
    assert rows[lines["withdrawals[3].amount"] - 1] == "amount = 1500"
    assert rows[lines["cassettes[4].low_threshold"] - 1] == "low_threshold = 80"
    assert rows[lines["device.faults"] - 1].startswith("faults =")
