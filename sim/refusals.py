"""What the simulated device refuses before it moves a note, with the real device's codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from denomination.cassettes import Cassette
from kiosk_service.hardware.errors import InvalidUnit
from kiosk_service.hardware.load_checks import count_problem, denomination_problem, load_problems
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
    problems = load_problems(cassettes, lambda cassette: _cassette_problems(cassette, machine))
    loaded = {cassette.id for cassette in cassettes if isinstance(cassette, Cassette)}
    for cassette_id, notes in true_counts.items():
        if cassette_id not in loaded:
            problems.setdefault(cassette_id, []).append("true count for a cassette not loaded")
        elif not isinstance(notes, int) or notes < 0:
            problems.setdefault(cassette_id, []).append("true count must be a whole number >= 0")
    if problems:
        raise InvalidUnit("the load is invalid", errors=problems)


def _cassette_problems(cassette: Cassette, machine: Machine) -> list[str]:
    found = [problem for problem in (denomination_problem(cassette), count_problem(cassette))
             if problem]
    if cassette.id in machine.transport:
        found.append("notes are jammed in the transport from this cassette")
    return found
