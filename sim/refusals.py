"""What the simulated device refuses before it moves a note, with the real device's codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from denomination.cassettes import Cassette
from kiosk_service.hardware.errors import InvalidUnit
from kiosk_service.hardware.plan_checks import check_cassettes, check_counts
from sim.machine import Machine


def check_plan(machine: Machine, counts: Mapping[str, int], amount: int | None,
               max_notes: int) -> dict[str, int]:
    """Return the plan's non-zero counts in the device's cassette order.

    Raises InvalidDenomination, NotDispensableByDevice or TooManyItems, in the order XFS4IoT
    checks them.
    """
    return check_counts(counts, amount, {c: u.denomination for c, u in machine.units.items()},
                        max_notes)


def check_units(machine: Machine, requested: Mapping[str, int]) -> None:
    """Raise CashUnitError or NotDispensableByDevice when a cassette cannot give its notes."""
    check_cassettes(machine.units, requested)


def check_load(cassettes: list[Any], machine: Machine, true_counts: Mapping[str, int]) -> None:
    """Raise InvalidUnit listing every problem of a load."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for cassette in cassettes:
        found = problems.setdefault(str(getattr(cassette, "id", "?")), [])
        if not isinstance(cassette, Cassette):
            found.append("must be a denomination.Cassette")
            continue
        if cassette.id in seen:
            found.append("loaded twice")
        seen.add(cassette.id)
        if not isinstance(cassette.denomination, int) or cassette.denomination <= 0:
            found.append("denomination must be a positive number of minor units")
        if not isinstance(cassette.count, int) or cassette.count < 0:
            found.append("count must be a whole number >= 0")
        elif cassette.capacity is not None and cassette.count > cassette.capacity:
            found.append(f"count {cassette.count} is over the capacity {cassette.capacity}")
        if cassette.id in machine.transport:
            found.append("notes are jammed in the transport from this cassette")
    for cassette_id, notes in true_counts.items():
        if cassette_id not in seen:
            problems.setdefault(cassette_id, []).append("true count for a cassette not loaded")
        elif not isinstance(notes, int) or notes < 0:
            problems.setdefault(cassette_id, []).append("true count must be a whole number >= 0")
    problems = {cid: found for cid, found in problems.items() if found}
    if problems:
        raise InvalidUnit("the load is invalid", errors=problems)
