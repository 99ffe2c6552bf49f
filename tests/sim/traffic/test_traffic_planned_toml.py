"""planned.toml: the input terminal file with planned counts and thresholds, nothing else."""

import tomllib
from pathlib import Path

import pytest

from denomination import InvalidRequest
from sim.traffic.planned_toml import planned_text
from sim.traffic.terminal import terminal_from_mapping

ROOT = Path(__file__).resolve().parents[3]
FILES = [ROOT / "config" / "demand" / "typical-czk-atm.toml",
         *sorted((ROOT / "config" / "terminals").glob("*.toml"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_other_line_is_kept_byte_for_byte(path):
    text = path.read_text()
    ids = [str(c["id"]) for c in tomllib.loads(text)["cassettes"]]
    load = {cid: 111 + i for i, cid in enumerate(ids)}
    low = {cid: 7 + i for i, cid in enumerate(ids)}
    planned = planned_text(text, load, low)
    before, after = text.splitlines(keepends=True), planned.splitlines(keepends=True)
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed and all(a.split("=")[0] == b.split("=")[0] for a, b in changed)
    assert {a.split("=")[0].strip() for a, _ in changed} <= {"count", "low_threshold"}
    terminal = terminal_from_mapping(tomllib.loads(planned))
    assert {c.id: c.count for c in terminal.cassettes} == load
    assert {c.id: c.low_threshold for c in terminal.cassettes} == low


def test_comments_and_missing_threshold():
    text = ('id = "t"  # a terminal\ncurrency = "CZK"\n\n[[cassettes]]\nid = "A"\n'
            'denomination = 200\ncount = 150   # as delivered\n\n[policy]\nlocale = "cs"\n')
    planned = planned_text(text, {"A": 620}, {"A": 10})
    assert planned == text.replace("count = 150   # as delivered\n",
                                   "count = 620   # as delivered\nlow_threshold = 10\n")


def test_unknown_cassette_is_refused():
    text = '[[cassettes]]\nid = "A"\ndenomination = 200\ncount = 1\n'
    with pytest.raises(InvalidRequest) as caught:
        planned_text(text, {"A": 2, "Z": 3}, {})
    assert caught.value.code == "invalid_request"
    assert "cassettes.Z" in caught.value.details["errors"]
