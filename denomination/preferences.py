"""The customer's wish: a preference kind and its parameters, validated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from denomination.errors import InvalidRequest

#: How many notes `small` may use unless the customer says otherwise: a handful of notes that
#: still fits a wallet (2000 CZK as 10 x 200, not 20 x 100).
SMALL_NOTE_BUDGET = 15


class PreferenceKind(StrEnum):
    """The kinds of wish a customer can express (DESIGN.md, 'Preferences')."""

    FEWEST = "fewest"
    SMALL = "small"
    MIXED = "mixed"
    COUNTS = "counts"
    BOUNDS = "bounds"
    OPTIONS = "options"


PREFERENCE_KINDS = tuple(kind.value for kind in PreferenceKind)

_FIELDS = {
    PreferenceKind.FEWEST: set(),
    PreferenceKind.SMALL: {"max_notes"},
    PreferenceKind.MIXED: set(),
    PreferenceKind.COUNTS: {"counts"},
    PreferenceKind.BOUNDS: {"min", "max", "exclude"},
    PreferenceKind.OPTIONS: set(),
}

#: Kinds that need no field but their kind (a tuple: `in` must not hash what a request sends).
_KIND_ALONE = tuple(kind.value for kind in PreferenceKind if kind != PreferenceKind.COUNTS)

Counts = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Preference:
    """A validated wish. Denomination keys are minor units; count tuples are sorted pairs.

    - fewest: fewest notes.
    - small: the smallest largest-note that keeps the mix within `note_budget` notes, then the
      fewest notes (see denomination/optimiser/wishes.py for examples).
    - mixed: as many different denominations below the amount as possible, then fewest notes.
    - counts: exact counts per denomination; otherwise the smallest total deviation.
    - bounds: `minimum`/`maximum` per denomination and `exclude`d denominations.
    - options: a menu of up to five distinct labelled mixes.
    """

    kind: PreferenceKind = PreferenceKind.FEWEST
    counts: Counts = ()
    minimum: Counts = ()
    maximum: Counts = ()
    exclude: tuple[int, ...] = ()
    note_budget: int = SMALL_NOTE_BUDGET

    @property
    def denominations(self) -> set[int]:
        """Return every denomination the wish names."""
        named = {d for d, _ in self.counts} | {d for d, _ in self.minimum}
        return named | {d for d, _ in self.maximum} | set(self.exclude)

    def to_mapping(self) -> dict[str, Any]:
        """Return the dict form that from_mapping reads back (the HTTP API's and the
        database's): only the fields the kind uses, denominations as strings in keys."""
        data: dict[str, Any] = {"kind": str(self.kind)}
        if self.kind == PreferenceKind.SMALL:
            data["max_notes"] = self.note_budget
        if self.kind == PreferenceKind.COUNTS:
            data["counts"] = {str(d): n for d, n in self.counts}
        if self.kind == PreferenceKind.BOUNDS:     # only the bounds the wish sets
            for key, bounds in (("min", self.minimum), ("max", self.maximum)):
                if bounds:
                    data[key] = {str(d): n for d, n in bounds}
            if self.exclude:
                data["exclude"] = list(self.exclude)
        return data

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Preference:
        """Build a preference from its dict form; raises InvalidRequest listing every problem."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidRequest("the preference must be an object with a 'kind'",
                                 {"preference": ["must be an object with a 'kind'"]})
        kind = data.get("kind")
        if kind in _KIND_ALONE and len(data) == 1:   # the common {"kind": ...}: nothing to check
            return _WISH_OF_KIND[kind]
        problems: dict[str, list[str]] = {}
        if kind not in PREFERENCE_KINDS:
            problems["preference.kind"] = [f"must be one of: {', '.join(PREFERENCE_KINDS)}"]
            raise InvalidRequest("the preference is invalid", problems)
        kind = PreferenceKind(kind)
        for key in sorted(set(data) - _FIELDS[kind] - {"kind"}):
            problems.setdefault(f"preference.{key}", []).append(f"not allowed for kind {kind}")
        counts = _counts(data.get("counts", {}), "preference.counts", problems)
        minimum = _counts(data.get("min", {}), "preference.min", problems)
        maximum = _counts(data.get("max", {}), "preference.max", problems)
        exclude = _denominations(data.get("exclude", []), "preference.exclude", problems)
        budget = data.get("max_notes", SMALL_NOTE_BUDGET)
        if not _is_int(budget) or budget < 1:
            problems.setdefault("preference.max_notes", []).append("must be a positive integer")
        if kind == PreferenceKind.COUNTS and "counts" not in data:
            problems.setdefault("preference.counts", []).append("required for kind counts")
        low, high = dict(minimum), dict(maximum)
        for d in sorted(set(low) & set(high)):
            if low[d] > high[d]:
                problems.setdefault("preference.min", []).append(
                    f"{d}: minimum {low[d]} is above maximum {high[d]}")
        for d in sorted(set(low) & set(exclude)):
            if low[d] > 0:
                problems.setdefault("preference.exclude", []).append(
                    f"{d} is both excluded and required at least {low[d]} times")
        if problems:
            raise InvalidRequest("the preference is invalid", problems)
        return cls(kind, counts, minimum, maximum, exclude, budget)

    @classmethod
    def coerce(cls, value: Preference | Mapping[str, Any] | None) -> Preference:
        """Accept a Preference, its dict form or None (fewest)."""
        return value if isinstance(value, Preference) else cls.from_mapping(value)


#: The wish each kind alone names, built once: the common request, and a value (frozen).
_WISH_OF_KIND = {kind: Preference(PreferenceKind(kind)) for kind in _KIND_ALONE}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _denomination_key(key: Any) -> int | None:
    """JSON object keys are strings: accept "50000" as well as 50000."""
    if _is_int(key):
        return key if key > 0 else None
    if isinstance(key, str) and key.isdigit():
        return int(key) if int(key) > 0 else None
    return None


def _counts(raw: Any, where: str, problems: dict[str, list[str]]) -> Counts:
    if not isinstance(raw, Mapping):
        problems.setdefault(where, []).append("must map denominations (minor units) to counts")
        return ()
    result = {}
    for key, value in raw.items():
        denomination = _denomination_key(key)
        if denomination is None:
            problems.setdefault(where, []).append(f"{key!r} is not a positive denomination")
        elif not _is_int(value) or value < 0:
            problems.setdefault(where, []).append(f"{key}: count must be an integer >= 0")
        elif denomination in result:
            problems.setdefault(where, []).append(f"{key} is given twice")
        else:
            result[denomination] = value
    return tuple(sorted(result.items()))


def _denominations(raw: Any, where: str, problems: dict[str, list[str]]) -> tuple[int, ...]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        problems.setdefault(where, []).append("must be a list of denominations (minor units)")
        return ()
    found = []
    for key in raw:
        denomination = _denomination_key(key)
        if denomination is None:
            problems.setdefault(where, []).append(f"{key!r} is not a positive denomination")
        else:
            found.append(denomination)
    return tuple(sorted(set(found)))
