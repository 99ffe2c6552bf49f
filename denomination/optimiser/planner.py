"""plan_mix: the optimiser's entry point (data -> model -> solve -> interpret)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from denomination.cassettes import Cassette
from denomination.catalogue import Catalogue, default_catalogue
from denomination.optimiser.assessment import assess
from denomination.optimiser.data import MixData, check_request
from denomination.optimiser.explain import not_dispensable
from denomination.optimiser.model import build_model
from denomination.optimiser.solve import new_solver, solve_mixes
from denomination.plan import Plan
from denomination.preferences import Preference, PreferenceKind

#: The wishes of an `options` menu, offered in this order: fewest notes, mixed, small, then
#: without the largest note the amount could use ("no_200000"), and the smallest notes the
#: note limit allows ("smallest": small with the whole note limit as its budget).
FEWEST = Preference(PreferenceKind.FEWEST)
MIXED = Preference(PreferenceKind.MIXED)
SMALL = Preference(PreferenceKind.SMALL)


def plan_mix(amount: int, currency: str, cassettes: Iterable[Cassette],
             preference: Preference | Mapping[str, Any] | None = None, *, max_notes: int = 40,
             catalogue: Catalogue | None = None,
             solver_parameters: Mapping[str, Any] | None = None, health: bool = True) -> Plan:
    """Return the mix that best meets `preference` for `amount` (minor units) of `currency`.

    Hard rules: the notes pay the amount exactly, no cassette gives more than it holds, only
    dispensable cassettes of the currency give notes, at most `max_notes` notes. Then, in order:
    the customer's wish, inventory health, fewer notes, a fixed tie-break.

    `solver_parameters` replaces SOLVER_PARAMETERS (benchmarks compare against the defaults);
    `health=False` drops the inventory-health objective (the traffic study measures its worth).
    Raises InvalidRequest (`invalid_request`, every problem listed), UnknownCurrency,
    NotDispensable (`not_dispensable`, with `.reasons` and `.nearest`) or OptimiserError.
    """
    wish = Preference.coerce(preference)
    data = check_request(amount, currency, cassettes, wish, max_notes,
                         catalogue or default_catalogue(), health=health)
    if wish.kind == PreferenceKind.OPTIONS:
        return _options(data, solver_parameters)
    plan = _solve(data, solver_parameters)
    if plan is None:
        raise not_dispensable(data)
    return plan


def _solve(data: MixData, parameters: Mapping[str, Any] | None) -> Plan | None:
    """Solve the data's own wish; None when no mix at all pays the amount."""
    found = _solve_together([data], parameters)
    return None if found is None else found[0]


def _solve_together(wishes: Sequence[MixData], parameters: Mapping[str, Any] | None
                    ) -> list[Plan] | None:
    """Solve several wishes on one request in one model (see build_model); None when no mix
    pays the amount."""
    data = wishes[0]
    if data.amount % data.step or not data.usable:
        return None
    mix = build_model(*wishes)
    found = solve_mixes(mix.model, mix.mixes,
                        new_solver(parameters, (wish.preference.kind for wish in wishes)))
    if found is None:
        return None
    return [_interpret(wish, counts) for wish, counts in zip(wishes, found, strict=True)]


def _interpret(data: MixData, counts: Mapping[str, int]) -> Plan:
    plan = Plan.from_counts(data.amount, data.currency.code, str(data.preference.kind), counts,
                            {c.id: c.denomination for c in data.usable})
    exact, reasons = assess(data, plan.by_denomination, optimal=True)
    return replace(plan, exact=exact, reasons=reasons, preference=data.preference)


def _options(data: MixData, parameters: Mapping[str, Any] | None) -> Plan:
    """Up to five distinct mixes, each labelled and each meeting its own wish; the first
    (fewest notes) is the plan itself. Raises NotDispensable when no mix pays the amount.

    Two CP-SAT solves answer the whole menu, each solving several wishes at once: fewest,
    mixed and "no X" together, and the two small-notes wishes together (the groupings that
    solve fastest, bench/optimiser.py). "smallest" is left out when it is bound to repeat
    "small": when the smallest note alone pays within small's budget.
    """
    if data.amount % data.step or not data.usable:
        raise not_dispensable(data)
    below = [d for d in data.denominations if d <= data.amount]
    no_largest = [(f"no_{below[-1]}", Preference(PreferenceKind.BOUNDS, exclude=(below[-1],)))
                  ] if len(below) > 1 else []
    smallest = [] if _small_is_smallest(data) else [
        ("smallest", replace(SMALL, note_budget=data.max_notes))]
    labelled: dict[str, Plan] = {}
    for group in ([("fewest", FEWEST), ("mixed", MIXED), *no_largest],
                  [("small", SMALL), *smallest]):
        plans = _solve_together([replace(data, preference=wish) for _, wish in group],
                                parameters)
        if plans is None:
            raise not_dispensable(data)
        labelled.update((label, plan) for (label, _), plan in zip(group, plans, strict=True))
    offered: list[Plan] = []
    for label in ["fewest", "mixed", "small", *(label for label, _ in no_largest + smallest)]:
        plan = labelled[label]
        if plan.exact and plan.by_denomination not in [p.by_denomination for p in offered]:
            offered.append(replace(plan, label=label))
    return replace(offered[0], kind=str(PreferenceKind.OPTIONS), options=tuple(offered))


def _small_is_smallest(data: MixData) -> bool:
    """Return True when "small" can only be the smallest note alone, so "smallest" (the same
    wish with the whole note limit as budget) would be the same mix."""
    if data.max_notes <= SMALL.note_budget:
        return True
    note = data.denominations[0]
    notes = data.amount // note
    return (not data.amount % note and notes <= SMALL.note_budget
            and data.stock(note) >= notes)
