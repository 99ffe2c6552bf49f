"""The dispensing policies a study compares, each planning with plan_mix's signature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from denomination import (
    Cassette,
    NotDispensable,
    Plan,
    Preference,
    bank_optimal,
    equal_emptying,
    plan_mix,
)
from denomination.plan import Reason
from denomination.reserve import apply_reserve

#: name -> what the report calls it.
POLICY_TITLES = {
    "bank_optimal": "bank-optimal (largest notes first, the old way)",
    "equal_emptying": "equal emptying (XFS4IoT)",
    "cashmix": "Cashmix (wish first, inventory health second)",
    "cashmix_no_health": "Cashmix without inventory health",
    "cashmix_reserve": "Cashmix with a reserve of small notes",
    "cashmix_trade": "Cashmix whose inventory health may offer a near-equivalent mix "
                     "when a cassette is low",
}
#: cashmix_trade: a mix that spares the low cassettes may hold this many more notes.
TRADE_EXTRA_NOTES = 2
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
        if self.name == "cashmix_trade":
            return _with_trade
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


def _with_trade(amount: int, currency: str, cassettes: Sequence[Cassette],
                preference: Preference, max_notes: int) -> Plan:
    """Plan the wish; when its mix draws on a cassette at or below its low threshold, offer
    instead the mix that spares every such cassette if it holds at most TRADE_EXTRA_NOTES more
    notes. A traded mix counts as meeting the wish only when it is the same notes (so wishes
    lost are counted in full, never hidden)."""
    plan = plan_mix(amount, currency, cassettes, preference, max_notes=max_notes)
    low = {c.id for c in cassettes if c.dispensable and c.count <= c.low_threshold}
    if not low & set(plan.by_cassette):
        return plan
    spared = [replace(c, locked=True) if c.id in low else c for c in cassettes]
    try:
        other = plan_mix(amount, currency, spared, preference, max_notes=max_notes)
    except NotDispensable:
        return plan
    if sum(other.by_cassette.values()) > sum(plan.by_cassette.values()) + TRADE_EXTRA_NOTES:
        return plan
    same = dict(other.by_denomination) == dict(plan.by_denomination)
    traded = Reason("health_trade", "a near-equivalent mix spares a cassette that runs low")
    return replace(other, exact=plan.exact and same,
                   reasons=tuple(other.reasons) + (() if same else (traded,)))


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
