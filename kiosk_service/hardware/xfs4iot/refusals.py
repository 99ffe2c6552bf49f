"""What the driver refuses before it sends a command: plans, loads and a terminal file that
do not fit the device's units, with the driver interface's codes in the standard's order (so a
vendor's own codes for the same refusals never reach the service)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from denomination.cassettes import Cassette
from kiosk_service.hardware import load_checks
from kiosk_service.hardware.load_checks import count_problem, denomination_problem
from kiosk_service.hardware.plan_checks import check_cassettes, check_counts
from kiosk_service.hardware.xfs4iot.cassette_map import CassetteMap
from kiosk_service.hardware.xfs4iot.storage import Unit


def check_plan(cassettes: CassetteMap, counts: Mapping[str, int], amount: int | None,
               max_items: int) -> dict[str, int]:
    """Return the plan's non-zero counts in the device's unit order; raises the errors of
    kiosk_service/hardware/plan_checks.py, in the order XFS4IoT checks them."""
    units = cassettes.by_cassette()
    requested = check_counts(counts, amount, {c: u.denomination for c, u in units.items()},
                             max_items)
    check_cassettes({c: cassettes.state_of(c) for c in requested}, requested)
    return requested


def load_problems(cassettes: CassetteMap, loads: Iterable[Any],
                  exponents: Mapping[str, int]) -> dict[str, list[str]]:
    """Return cassette id -> every reason the device cannot take this load (empty: none)."""
    units = cassettes.by_cassette()
    return load_checks.load_problems(loads, lambda cassette: _unit_problems(
        cassette, units.get(cassette.id), exponents))


def _unit_problems(cassette: Cassette, unit: Unit | None, exponents: Mapping[str, int]
                   ) -> list[str]:
    """Return what keeps the device's `unit` from taking the cassette, in the checks' order."""
    found = []
    bad_value = denomination_problem(cassette)
    if bad_value:
        found.append(bad_value)
    elif unit is not None and (unit.currency, unit.denomination) != (
            cassette.currency, cassette.denomination):
        found.append(f"the device's unit {unit.name} holds {unit.currency} "
                     f"{unit.denomination} notes (minor units); change the note type at "
                     "the device")
    if cassette.currency not in exponents:
        found.append(f"currency {cassette.currency} is not in the catalogue")
    bad_count = count_problem(cassette, unit.capacity if unit is not None else None)
    if bad_count:
        found.append(bad_count)
    if unit is None:
        found.append("the device has no storage unit for this cassette")
    elif unit.transport:
        found.append("notes are jammed in the transport from this cassette")
    return found


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
