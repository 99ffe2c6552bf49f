"""The checks every driver makes of a staff load before it changes anything: each load is a
Cassette, named once, with a positive note value and a whole count within its capacity. A
driver adds what only its device knows (its units, notes jammed in the transport)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from denomination.cassettes import Cassette


def load_problems(loads: Iterable[Any], problems_of: Callable[[Cassette], list[str]]
                  ) -> dict[str, list[str]]:
    """Return cassette id -> every problem of its load, leaving out loads without one: not a
    denomination.Cassette, loaded twice, then what `problems_of` finds in the cassette."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for cassette in loads:
        found = problems.setdefault(str(getattr(cassette, "id", "?")), [])
        if not isinstance(cassette, Cassette):
            found.append("must be a denomination.Cassette")
            continue
        if cassette.id in seen:
            found.append("loaded twice")
        seen.add(cassette.id)
        found.extend(problems_of(cassette))
    return {cid: found for cid, found in problems.items() if found}


def denomination_problem(cassette: Cassette) -> str | None:
    """Return why the cassette's note value is not a positive number of minor units, if so."""
    if not isinstance(cassette.denomination, int) or cassette.denomination <= 0:
        return "denomination must be a positive number of minor units"
    return None


def count_problem(cassette: Cassette, device_capacity: int | None = None) -> str | None:
    """Return why the cassette's count cannot be loaded, if so: not a whole number, over the
    device unit's `device_capacity` (none when 0 or None), else over the cassette's capacity."""
    if not isinstance(cassette.count, int) or cassette.count < 0:
        return "count must be a whole number >= 0"
    if device_capacity and cassette.count > device_capacity:
        return f"count {cassette.count} is over the capacity {device_capacity}"
    if cassette.capacity is not None and cassette.count > cassette.capacity:
        return f"count {cassette.count} is over the capacity {cassette.capacity}"
    return None
