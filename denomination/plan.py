"""The answer of the optimiser: which cassette gives how many notes, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from denomination.preferences import Preference


class SolveStatus(StrEnum):
    """What the optimiser proved about a plan's mix (CP-SAT's status names, lower case)."""

    OPTIMAL = "optimal"      # proven the best mix for its wish
    FEASIBLE = "feasible"    # valid, but the solve stopped at its time limit before a proof


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a wish was not met or a mix is impossible: stable `code`, human `message`."""

    code: str
    message: str
    denomination: int | None = None
    cassette: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A mix of notes that pays `amount` exactly.

    `by_cassette` maps cassette id -> notes (no zero entries), `by_denomination` maps minor units
    -> notes. `exact` is True when the customer's wish was met; otherwise `reasons` say why not.
    `options` holds the menu of labelled alternatives for an `options` request; `preference`
    is the wish this mix answers (for an option of a menu, the wish that produced it).
    `status` is "optimal" when the mix is proven best for its wish and "feasible" when the
    solve hit its time limit first (then `exact` is checked on the mix itself, never assumed);
    a menu's plan is "feasible" when any of its options is.
    """

    amount: int
    currency: str
    kind: str
    by_cassette: Mapping[str, int]
    by_denomination: Mapping[int, int]
    exact: bool = True
    reasons: tuple[Reason, ...] = ()
    label: str | None = None
    options: tuple[Plan, ...] = field(default=())
    preference: Preference | None = None
    status: SolveStatus = SolveStatus.OPTIMAL

    @property
    def notes(self) -> int:
        """Return the number of notes in the mix."""
        return sum(self.by_cassette.values())

    @classmethod
    def optimal(cls, amount: int, currency: str, kind: str, by_cassette: Mapping[str, int],
                by_denomination: Mapping[int, int], preference: Preference) -> Plan:
        """Return Plan(amount, currency, kind, by_cassette, by_denomination,
        preference=preference): a proven optimal mix that meets its wish, every other field
        at its default.

        The same value, built at half the cost: the generated __init__ of a frozen dataclass
        looks up object.__setattr__ for each of its eleven fields, and the fewest-notes path
        builds a plan on every request (bench/optimiser.py).
        """
        plan = _new_plan(cls)
        _set_amount(plan, amount)
        _set_currency(plan, currency)
        _set_kind(plan, kind)
        _set_by_cassette(plan, by_cassette)
        _set_by_denomination(plan, by_denomination)
        _set_exact(plan, True)
        _set_reasons(plan, ())
        _set_label(plan, None)
        _set_options(plan, ())
        _set_preference(plan, preference)
        _set_status(plan, _OPTIMAL)
        return plan

    @classmethod
    def from_counts(cls, amount: int, currency: str, kind: str, counts: Mapping[str, int],
                    denominations: Mapping[str, int], **extra) -> Plan:
        """Build a plan from cassette id -> notes, given cassette id -> denomination."""
        by_cassette = {cid: n for cid, n in sorted(counts.items()) if n}
        by_denomination: dict[int, int] = {}
        for cid, n in by_cassette.items():
            by_denomination[denominations[cid]] = by_denomination.get(denominations[cid], 0) + n
        ordered = dict(sorted(by_denomination.items(), reverse=True))
        return cls(amount, currency, kind, by_cassette, ordered, **extra)


# What Plan.optimal builds a plan with: its slots' own setters (plain loops and calls: a loop
# over the fields costs as much as the generated __init__).
_new_plan = object.__new__
_OPTIMAL = SolveStatus.OPTIMAL   # looked up on its class, an enum member costs ten loads
_set_amount, _set_currency, _set_kind = (Plan.amount.__set__, Plan.currency.__set__,
                                         Plan.kind.__set__)
_set_by_cassette, _set_by_denomination = Plan.by_cassette.__set__, Plan.by_denomination.__set__
_set_exact, _set_reasons, _set_label = (Plan.exact.__set__, Plan.reasons.__set__,
                                        Plan.label.__set__)
_set_options, _set_preference, _set_status = (Plan.options.__set__, Plan.preference.__set__,
                                              Plan.status.__set__)
