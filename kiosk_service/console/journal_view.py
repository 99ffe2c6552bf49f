"""Journal entries for people: what changed, field by field, with money in the currency's form.

An entry stores its before and after as data (minor units, nested mappings); the console shows
each changed field as `field: before → after`, money formatted with the currency's exponent
(CZK 100, not 10000), lists and mappings as text, never raw JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk_service.formatting import format_money
from kiosk_service.records import JournalEntry

#: Fields that hold an amount of money in minor units, wherever they appear in an entry.
MONEY_FIELDS = frozenset({"denomination", "amount", "dispensed", "shortfall", "value"})
#: An entry with more lines than this folds them into a collapsible block.
SHORT_ENTRY_LINES = 4
NOTHING = "—"


@dataclass(frozen=True, slots=True)
class Line:
    """One fact of an entry: a changed field (`before` → `after`) or a detail (`after` only)."""

    field: str
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before is not None


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry with its changes and details as lines; `long` entries show folded."""

    entry: JournalEntry
    lines: tuple[Line, ...]

    @property
    def kind(self) -> str:
        return self.entry.kind.replace("_", " ")

    @property
    def long(self) -> bool:
        return len(self.lines) > SHORT_ENTRY_LINES

    @property
    def headline(self) -> str:
        """Return the folded entry's summary: how many fields, naming the first few."""
        names = list(dict.fromkeys(line.field.split(" › ")[0] for line in self.lines))
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        return f"{len(self.lines)} fields: {shown}"


def entry_view(entry: JournalEntry, currency: str) -> EntryView:
    """Return `entry` as lines: its changed fields (before → after; every field when there is no
    before), then its details. Money fields show as `currency` money."""
    before = dict(_flatten(entry.before or {}))
    after = dict(_flatten(entry.after or {}))
    lines = []
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        if entry.before is not None and old == new:
            continue
        lines.append(Line(_label(field), _shown(field, old, currency) if entry.before
                          is not None else None, _shown(field, new, currency)))
    lines += [Line(_label(field), None, _shown(field, value, currency))
              for field, value in _flatten(entry.details or {}) if value is not None]
    return EntryView(entry, tuple(lines))


def _flatten(data: Mapping[str, Any], path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Yield (path, value) for every leaf; a list of mappings is one leaf per item."""
    for key, value in data.items():
        here = (*path, str(key))
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, here)
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, item in enumerate(value):
                name = str(item.get("cassette_id", index + 1))
                yield (*here, name), {k: v for k, v in item.items() if k != "cassette_id"}
        else:
            yield here, value


def _label(path: tuple[str, ...]) -> str:
    return " › ".join(part.replace("_", " ") for part in path)


def _shown(path: tuple[str, ...], value: Any, currency: str) -> str:
    """Return a value as a person reads it (money in `currency`, lists joined, no JSON)."""
    if value is None or value == {} or value == []:
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and path[-1] in MONEY_FIELDS:
        return format_money(value, currency)
    if isinstance(value, Mapping):
        return ", ".join(f"{key.replace('_', ' ')} {_shown((*path, key), v, currency)}"
                         for key, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_shown(path, v, currency) for v in value)
    return str(value)
