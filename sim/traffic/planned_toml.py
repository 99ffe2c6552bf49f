"""The planned terminal file: the input's text with new counts and low thresholds, nothing else.

The TOML text is edited line by line, not re-serialised, so every comment, blank line, key
order and value the planner does not set stays byte for byte as it was.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from denomination import InvalidRequest

_TABLE = re.compile(r"^\s*\[")
_CASSETTES = re.compile(r"^\s*\[\[\s*cassettes\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_-]+)(?P<eq>\s*=\s*)(?P<value>[^#\n]*?)"
                  r"(?P<rest>\s*(#.*)?)$")


def planned_text(text: str, load: Mapping[str, int], thresholds: Mapping[str, int]) -> str:
    """Return `text` (a terminal TOML file) with each cassette's `count` set from `load` and
    its `low_threshold` from `thresholds` (added after `count` when the file has none).

    Raises InvalidRequest (`invalid_request`) when a cassette named in `load` is not in the
    file, a cassette block has no `count` line, or the result does not read back as planned.
    """
    lines = text.splitlines(keepends=True)
    blocks = _cassette_blocks(lines)
    problems: dict[str, list[str]] = {}
    inserts: list[tuple[int, str]] = []
    found = set()
    for start, end in blocks:
        keys = {m["key"]: (i, m) for i in range(start, end)
                if (m := _KEY.match(lines[i].rstrip("\r\n")))}
        cassette_id = _string_value(keys["id"][1]["value"]) if "id" in keys else None
        if cassette_id not in load:
            continue
        found.add(cassette_id)
        if "count" not in keys:
            problems.setdefault(f"cassettes.{cassette_id}", []).append("no count line")
            continue
        index, match = keys["count"]
        lines[index] = _with_value(lines[index], match, load[cassette_id])
        if cassette_id in thresholds:
            if "low_threshold" in keys:
                index, match = keys["low_threshold"]
                lines[index] = _with_value(lines[index], match, thresholds[cassette_id])
            else:
                newline = "\r\n" if lines[index].endswith("\r\n") else "\n"
                inserts.append((index + 1, f"{match['indent']}low_threshold = "
                                           f"{thresholds[cassette_id]}{newline}"))
    for missing in sorted(set(load) - found):
        problems.setdefault(f"cassettes.{missing}", []).append("not in the terminal file")
    for index, line in sorted(inserts, reverse=True):
        lines.insert(index, line)
    result = "".join(lines)
    if not problems:
        _check(result, load, thresholds, problems)
    if problems:
        raise InvalidRequest("the planned terminal file cannot be written", problems)
    return result


def _cassette_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Return (first line after the header, end) of each [[cassettes]] table."""
    blocks, start = [], None
    for i, line in enumerate(lines):
        if _TABLE.match(line):
            if start is not None:
                blocks.append((start, i))
            start = i + 1 if _CASSETTES.match(line.rstrip("\r\n")) else None
    if start is not None:
        blocks.append((start, len(lines)))
    return blocks


def _string_value(raw: str) -> str | None:
    value = tomllib.loads(f"v = {raw.strip()}")["v"]
    return str(value)


def _with_value(line: str, match: re.Match, value: int) -> str:
    ending = line[len(line.rstrip("\r\n")):]
    spacing = match["value"][len(match["value"].rstrip()):]
    return (f"{match['indent']}{match['key']}{match['eq']}{value}{spacing}{match['rest']}"
            f"{ending}")


def _check(text: str, load: Mapping[str, int], thresholds: Mapping[str, int],
           problems: dict[str, list[str]]) -> None:
    data = tomllib.loads(text)
    for cassette in data.get("cassettes", []):
        cid = str(cassette.get("id"))
        if cid in load and cassette.get("count") != load[cid]:
            problems.setdefault(f"cassettes.{cid}", []).append("count did not read back")
        if cid in thresholds and cassette.get("low_threshold") != thresholds[cid]:
            problems.setdefault(f"cassettes.{cid}", []).append("low_threshold did not read back")
