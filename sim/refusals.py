"""What the simulated device refuses before it moves a note, with the real device's codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from denomination.cassettes import Cassette
from kiosk_service.hardware.errors import (
    CashUnitError,
    InvalidDenomination,
    InvalidUnit,
    NotDispensableByDevice,
    TooManyItems,
)
from kiosk_service.hardware.status import CassetteStatus
from sim.machine import Machine


def check_plan(machine: Machine, counts: Mapping[str, int], amount: int | None,
               max_notes: int) -> dict[str, int]:
    """Return the plan's non-zero counts in the device's cassette order.

    Raises InvalidDenomination, NotDispensableByDevice or TooManyItems, in the order XFS4IoT
    checks them.
    """
    if not isinstance(counts, Mapping):
        raise InvalidDenomination("the plan must map cassette ids to note counts")
    bad = {c: n for c, n in counts.items()
           if not isinstance(n, int) or isinstance(n, bool) or n < 0}
    if bad:
        raise InvalidDenomination(f"counts must be whole numbers >= 0: {bad}")
    wanted = {c: n for c, n in counts.items() if n}
    if not wanted:
        raise InvalidDenomination("the plan has no notes")
    units = machine.units
    unknown = sorted(set(wanted) - set(units))
    if unknown:
        raise NotDispensableByDevice(f"no such cassettes: {', '.join(unknown)}",
                                     cassette=unknown[0])
    value = sum(units[c].denomination * n for c, n in wanted.items())
    if amount is not None and value != amount:
        raise InvalidDenomination(f"the notes make {value}, not the amount {amount}")
    total = sum(wanted.values())
    if total > max_notes:
        raise TooManyItems(f"{total} notes is over the limit of {max_notes}",
                           limit=max_notes)
    return {c: wanted[c] for c in units if c in wanted}


def check_units(machine: Machine, requested: Mapping[str, int]) -> None:
    """Raise CashUnitError or NotDispensableByDevice when a cassette cannot give its notes."""
    for cassette_id, notes in requested.items():
        unit = machine.units[cassette_id]
        if unit.status != CassetteStatus.OK or unit.locked:
            state_name = "locked" if unit.status == CassetteStatus.OK else unit.status
            raise CashUnitError(f"cassette {cassette_id} is {state_name}",
                                cassette=cassette_id)
        if unit.count < notes:
            raise NotDispensableByDevice(
                f"cassette {cassette_id} holds {unit.count} notes, not {notes}",
                cassette=cassette_id)


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
