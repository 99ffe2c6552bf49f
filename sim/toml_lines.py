"""Where each key of a TOML file sits: line numbers for validation messages (tomllib has none).

Best effort over the text, for files shaped like the shipped scenarios and terminal files:
`[table]` and `[[array]]` headers, `key = value` lines (bare, quoted or dotted keys), values
spanning lines inside brackets or triple quotes. A place is written as validation errors write
it: `currency`, `device.faults`, `cassettes[1].count`, `withdrawals[0].preference.kind`.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
                  r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def key_lines(text: str) -> dict[str, int]:
    """Return place -> 1-based line of every header and key in `text`."""
    lines: dict[str, int] = {}
    arrays: dict[str, int] = {}                  # array-of-tables name -> items so far
    prefix = ""
    depth, quoted = 0, None                      # inside a multi-line value
    for number, line in enumerate(text.splitlines(), 1):
        if depth or quoted:
            depth, quoted = _scan(line, depth, quoted)
            continue
        header = _HEADER.match(line)
        if header:
            name = ".".join(_parts(header.group(2)))
            if header.group(1) == "[[":
                arrays[name] = arrays.get(name, 0) + 1
            prefix = _indexed(name, arrays)
            lines.setdefault(prefix, number)
            continue
        key = _KEY.match(line)
        if key:
            place = ".".join(filter(None, (prefix, *_parts(key.group(1)))))
            lines.setdefault(place, number)
            depth, quoted = _scan(line[key.end():], 0, None)
    return lines


def line_of(lines: dict[str, int], place: str) -> int | None:
    """Return the line of `place`, or of the nearest enclosing key or table that has one."""
    parts = place.split(".")
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def _parts(dotted: str) -> list[str]:
    return [part.strip("\"'") for part in _PART.findall(dotted)]


def _indexed(name: str, arrays: dict[str, int]) -> str:
    """`withdrawals.preference` under the 2nd [[withdrawals]] -> `withdrawals[1].preference`."""
    parts = name.split(".")
    return ".".join(f"{part}[{arrays[table] - 1}]" if (table := ".".join(parts[:i + 1])) in arrays
                    else part for i, part in enumerate(parts))


def _scan(text: str, depth: int, quoted: str | None) -> tuple[int, str | None]:
    """Follow brackets and strings through `text`; return the open depth and open quote."""
    at = 0
    while at < len(text):
        if quoted:
            if text.startswith(quoted, at):
                at, quoted = at + len(quoted), None
                continue
            at += 2 if text[at] == "\\" and quoted[0] == '"' else 1
            continue
        char = text[at]
        if char == "#":
            break
        if text.startswith(('"""', "'''"), at):
            quoted, at = text[at:at + 3], at + 3
        elif char in "\"'":
            quoted, at = char, at + 1
        else:
            depth += char in "[{"
            depth -= char in "]}"
            at += 1
    if quoted in ('"', "'"):                     # one-line strings end with their line
        quoted = None
    return max(depth, 0), quoted
