"""The dispensing policies a study compares, each planning with plan_mix's signature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from denomination import Cassette, Plan, Preference, bank_optimal, equal_emptying, plan_mix
from denomination.reserve import apply_reserve

#: name -> what the report calls it.
POLICY_TITLES = {
    "bank_optimal": "bank-optimal (largest notes first, the old way)",
    "equal_emptying": "equal emptying (XFS4IoT)",
    "cashmix": "Cashmix (wish first, inventory health second)",
    "cashmix_no_health": "Cashmix without inventory health",
    "cashmix_reserve": "Cashmix with a reserve of small notes",
}
POLICY_NAMES = tuple(POLICY_TITLES)

Planner = Callable[[int, str, Sequence[Cassette], Preference, int], Plan]


@dataclass(frozen=True, slots=True)
class Policy:
    """A named policy; `reserve` (denomination -> notes) is held back by cashmix_reserve only."""

    name: str
    reserve: tuple[tuple[int, int], ...] = ()

    @property
    def title(self) -> str:
        """Return the policy's name as the report shows it."""
        return POLICY_TITLES[self.name]

    def planner(self) -> Planner:
        """Return a function (amount, currency, cassettes, preference, max_notes) -> Plan that
        raises NotDispensable (`not_dispensable`) like plan_mix.

        bank_optimal's answer, and its assessment of the wish, depend on each cassette's count
        only up to the note limit, so they are memoised on the capped stock: a large speed-up
        (its fewest-notes check tabulates every payable amount) with the same answers.
        """
        if self.name == "bank_optimal":
            return _memoised(bank_optimal)
        if self.name == "equal_emptying":
            return _call(equal_emptying)
        if self.name == "cashmix":
            return _call(plan_mix)
        if self.name == "cashmix_no_health":
            return _call(partial(plan_mix, health=False))
        if self.name == "cashmix_reserve":
            return partial(_with_reserve, dict(self.reserve))
        raise ValueError(f"unknown policy {self.name!r}; policies: {', '.join(POLICY_NAMES)}")


def _call(function) -> Planner:
    def plan(amount, currency, cassettes, preference, max_notes) -> Plan:
        return function(amount, currency, cassettes, preference, max_notes=max_notes)
    return plan


def _with_reserve(reserve: dict[int, int], amount: int, currency: str,
                  cassettes: Sequence[Cassette], preference: Preference, max_notes: int) -> Plan:
    """Plan on the cassettes as the wish may see them, as the service does (no fallback: a
    reserve that leaves the amount unpayable refuses it)."""
    seen = apply_reserve(cassettes, reserve, preference)
    return plan_mix(amount, currency, seen, preference, max_notes=max_notes)


def _memoised(function) -> Planner:
    answers: dict[tuple, Plan] = {}

    def plan(amount, currency, cassettes, preference, max_notes) -> Plan:
        key = (amount, currency, preference, max_notes,
               tuple((c.id, c.denomination, min(c.count, max_notes), c.dispensable)
                     for c in sorted(cassettes, key=lambda c: (c.denomination, -c.count, c.id))))
        if key not in answers:
            answers[key] = function(amount, currency, cassettes, preference, max_notes=max_notes)
        return answers[key]
    return plan
