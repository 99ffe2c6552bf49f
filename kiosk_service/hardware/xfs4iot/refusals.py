"""What the driver refuses before it sends a command: plans, loads and a terminal file that
do not fit the device's units, with the driver interface's codes in the standard's order (so a
vendor's own codes for the same refusals never reach the service)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from denomination.cassettes import Cassette, CassetteStatus
from kiosk_service.hardware.errors import (
    CashUnitError,
    InvalidDenomination,
    NotDispensableByDevice,
    TooManyItems,
)
from kiosk_service.hardware.xfs4iot.cassette_map import CassetteMap


def check_plan(cassettes: CassetteMap, counts: Mapping[str, int], amount: int | None,
               max_items: int) -> dict[str, int]:
    """Return the plan's non-zero counts in the device's unit order.

    Raises InvalidDenomination, NotDispensableByDevice, TooManyItems or CashUnitError, in the
    order XFS4IoT checks them.
    """
    if not isinstance(counts, Mapping):
        raise InvalidDenomination("the plan must map cassette ids to note counts")
    bad = {c: n for c, n in counts.items()
           if not isinstance(n, int) or isinstance(n, bool) or n < 0}
    if bad:
        raise InvalidDenomination("note counts must be whole numbers of at least 0: " +
                                  ", ".join(f"{c} = {n}" for c, n in bad.items()))
    wanted = {c: n for c, n in counts.items() if n}
    if not wanted:
        raise InvalidDenomination("the plan has no notes")
    units = cassettes.by_cassette()
    unknown = sorted(set(wanted) - set(units))
    if unknown:
        raise NotDispensableByDevice(f"the device has no cassette {', '.join(unknown)}",
                                     cassette=unknown[0])
    if any(units[c].denomination is None for c in wanted):
        raise InvalidDenomination("a cassette's currency is not in the catalogue")
    value = sum(units[c].denomination * n for c, n in wanted.items())
    if amount is not None and value != amount:
        raise InvalidDenomination(f"the notes make {value}, not the amount {amount} "
                                  "(minor units)")
    total = sum(wanted.values())
    if total > max_items:
        raise TooManyItems(f"{total} notes is over the device's limit of {max_items}",
                           limit=max_items)
    for cassette_id, notes in wanted.items():
        state = cassettes.state_of(cassette_id)
        if state.status != CassetteStatus.OK or state.locked:
            why = "locked" if state.status == CassetteStatus.OK else state.status
            raise CashUnitError(f"cassette {cassette_id} is {why}", cassette=cassette_id)
        if state.count < notes:
            raise NotDispensableByDevice(
                f"cassette {cassette_id} holds {state.count} notes, not {notes}",
                cassette=cassette_id)
    return {c: wanted[c] for c in units if c in wanted}


def load_problems(cassettes: CassetteMap, loads: Iterable[Any],
                  exponents: Mapping[str, int]) -> dict[str, list[str]]:
    """Return cassette id -> every reason the device cannot take this load (empty: none)."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    units = cassettes.by_cassette()
    for cassette in loads:
        found = problems.setdefault(str(getattr(cassette, "id", "?")), [])
        if not isinstance(cassette, Cassette):
            found.append("must be a denomination.Cassette")
            continue
        if cassette.id in seen:
            found.append("loaded twice")
        seen.add(cassette.id)
        unit = units.get(cassette.id)
        if not isinstance(cassette.denomination, int) or cassette.denomination <= 0:
            found.append("denomination must be a positive number of minor units")
        elif unit is not None and (unit.currency, unit.denomination) != (
                cassette.currency, cassette.denomination):
            found.append(f"the device's unit {unit.name} holds {unit.currency} "
                         f"{unit.denomination} notes (minor units); change the note type at "
                         "the device")
        if cassette.currency not in exponents:
            found.append(f"currency {cassette.currency} is not in the catalogue")
        if not isinstance(cassette.count, int) or cassette.count < 0:
            found.append("count must be a whole number >= 0")
        elif unit is not None and unit.capacity and cassette.count > unit.capacity:
            found.append(f"count {cassette.count} is over the capacity {unit.capacity}")
        elif cassette.capacity is not None and cassette.count > cassette.capacity:
            found.append(f"count {cassette.count} is over the capacity {cassette.capacity}")
        if unit is None:
            found.append("the device has no storage unit for this cassette")
        elif unit.transport:
            found.append("notes are jammed in the transport from this cassette")
    return {cid: found for cid, found in problems.items() if found}


def configuration_problems(cassettes: CassetteMap, expected: Iterable[Cassette]
                           ) -> dict[str, list[str]]:
    """Return cassette id -> how the device's unit differs from the terminal file's cassette:
    no such dispensing unit, or another currency or note."""
    units = cassettes.by_cassette(include_unmapped=False)
    problems: dict[str, list[str]] = {}
    for cassette in expected:
        unit = units.get(cassette.id)
        if unit is None:
            wanted = cassettes.explicit.get(cassette.id, f"with id {cassette.id!r}")
            problems[cassette.id] = [f"the device has no dispensing unit {wanted}"]
        elif unit.currency != cassette.currency or unit.denomination != cassette.denomination:
            problems[cassette.id] = [
                f"the terminal file says {cassette.currency} {cassette.denomination}, the "
                f"device's {unit.name} holds {unit.currency} {unit.denomination} (minor units)"]
    return problems
