"""plan_mix: the optimiser's entry point (data -> exact search, or model -> solve -> interpret).

The fewest-notes wish, the common request, has a short path: a plainly valid request
(data.plain_request, one pass over the cassettes) goes straight to fewest.fewest_mix and a
Plan, without the model data (MixData: with its health costs by id, about a quarter of a fewest
plan's time); only a request that search leaves to others (a tie, a hard case, no mix at all)
builds it. The answers are the long path's: check_request gathers its lists with the same
plain_request, search_fewest is fewest_mix on the data's same parts, and any request that is
not plain takes the long path (tests/denomination/test_fewest_fast_path.py holds the two to the
same plans and errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from denomination.cassettes import Cassette
from denomination.catalogue import Catalogue, default_catalogue
from denomination.optimiser.assessment import assess
from denomination.optimiser.data import (
    MixData,
    PlainRequest,
    check_request,
    flat_costs,
    health_costs,
    mix_data,
    plain_request,
)
from denomination.optimiser.explain import not_dispensable
from denomination.optimiser.fewest import fewest_mix, search_fewest
from denomination.optimiser.model import build_model
from denomination.optimiser.search import search
from denomination.optimiser.solve import new_solver, solve
from denomination.plan import Plan, SolveStatus
from denomination.preferences import Preference, PreferenceKind

#: The wishes of an `options` menu, offered in this order: fewest notes, mixed, small, then
#: without the largest note the amount could use ("no_200000"), and the smallest notes the
#: note limit allows ("smallest": small with the whole note limit as its budget).
FEWEST = Preference(PreferenceKind.FEWEST)
MIXED = Preference(PreferenceKind.MIXED)
SMALL = Preference(PreferenceKind.SMALL)
#: The fewest-notes kind and its name, looked up once (an enum member looked up on its class
#: costs about ten attribute loads, and the fewest-notes path is the common request).
_FEWEST_KIND = PreferenceKind.FEWEST
_FEWEST_NAME = str(_FEWEST_KIND)


def plan_mix(amount: int, currency: str, cassettes: Iterable[Cassette],
             preference: Preference | Mapping[str, Any] | None = None, *, max_notes: int = 40,
             catalogue: Catalogue | None = None,
             solver_parameters: Mapping[str, Any] | None = None, health: bool = True,
             exact_search: bool = True) -> Plan:
    """Return the mix that best meets `preference` for `amount` (minor units) of `currency`.

    Hard rules: the notes pay the amount exactly, no cassette gives more than it holds, only
    dispensable cassettes of the currency give notes, at most `max_notes` notes. Then, in order:
    the customer's wish, inventory health, fewer notes, a fixed tie-break.

    An exact search (search.py; fewest.py first for a fewest-notes wish on its own) solves the
    wish with the model's objective, CP-SAT taking over when the search runs out of its node
    budget; `exact_search=False` sends every wish to CP-SAT (tests and benchmarks compare both).
    `plan.status` says whether the mix is proven optimal ("feasible" when a CP-SAT solve hit
    its time limit first). `solver_parameters` replaces SOLVER_PARAMETERS for CP-SAT solves;
    `health=False` drops the inventory-health objective (the traffic study measures its worth).
    Raises InvalidRequest (`invalid_request`, every problem listed), UnknownCurrency,
    NotDispensable (`not_dispensable`, with `.reasons` and `.nearest`) or OptimiserError.
    """
    wish = Preference.coerce(preference)
    catalogue = catalogue or default_catalogue()
    cassettes = tuple(cassettes)
    if wish.kind == _FEWEST_KIND and exact_search:
        plain = plain_request(amount, currency, cassettes, wish, max_notes, catalogue)
        if plain is not None:
            return _plain_fewest(plain, amount, wish, max_notes, health, solver_parameters)
    data = check_request(amount, currency, cassettes, wish, max_notes, catalogue, health=health)
    if wish.kind == PreferenceKind.OPTIONS:
        return _options(data, solver_parameters, exact_search)
    if wish.kind == PreferenceKind.FEWEST and exact_search:
        return _fewest(data, search_fewest(data), solver_parameters)
    plan = _solve(data, solver_parameters, exact_search)
    if plan is None:
        raise not_dispensable(data)
    return plan


def _plain_fewest(plain: PlainRequest, amount: int, wish: Preference, max_notes: int,
                  health: bool, parameters: Mapping[str, Any] | None) -> Plan:
    """Plan a fewest-notes wish on a plainly valid request (data.plain_request): the common
    request, answered from the check's lists without building the model data, which only a
    request the search leaves to others needs (for the general search or the explanations).

    The same plan as check_request then search_fewest: check_request gathers the same lists
    with plain_request, and search_fewest is fewest_mix on the data's same parts.
    """
    currency, _, usable, step = plain
    found = fewest_mix(amount, usable, step, max_notes, health_costs if health else flat_costs)
    if found is None or found[0] is None:
        return _fewest(mix_data(plain, amount, wish, max_notes, health), found, parameters)
    # Optimal, so the wish is met (assessment.assess).
    return Plan.optimal(amount, currency.code, _FEWEST_NAME, found[0], found[1], wish)


def _fewest(data: MixData, found: tuple[dict[str, int], dict[int, int]] | tuple[None, None]
            | None, parameters: Mapping[str, Any] | None) -> Plan:
    """Return the plan of a fewest-notes wish given search_fewest's answer `found` (None: a tie
    or a hard case, for the general search); raises NotDispensable when no mix pays."""
    if found is None:
        plan = _solve(data, parameters, True)
    else:
        by_cassette, by_denomination = found
        # Optimal, so the wish is met (assessment.assess).
        plan = None if by_cassette is None else Plan.optimal(
            data.amount, data.currency.code, str(data.preference.kind), by_cassette,
            by_denomination, data.preference)
    if plan is None:
        raise not_dispensable(data)
    return plan


def _solve(data: MixData, parameters: Mapping[str, Any] | None,
           exact_search: bool) -> Plan | None:
    """Solve the data's own wish; None when no mix at all pays the amount."""
    found = _solve_together([data], parameters, exact_search)
    return None if found is None else found[0]


def _solve_together(wishes: Sequence[MixData], parameters: Mapping[str, Any] | None,
                    exact_search: bool) -> list[Plan] | None:
    """Solve several wishes on one request: each by the exact search, and those it could not
    finish within its budget in one CP-SAT model (see build_model); None when no mix pays the
    amount."""
    data = wishes[0]
    if data.amount % data.step or not data.usable:
        return None
    plans: dict[int, Plan] = {}
    for index, wish in enumerate(wishes if exact_search else ()):
        found = search(wish)
        if found is not None and found.counts is None:
            return None
        if found is not None:
            plans[index] = _interpret(wish, found.counts, optimal=True)
    rest = [index for index in range(len(wishes)) if index not in plans]
    if rest:
        mix = build_model(*(wishes[index] for index in rest))
        solved = solve(mix.model, mix.mixes,
                       new_solver(parameters, (wishes[index].preference.kind for index in rest)))
        if solved is None:
            return None
        for index, counts in zip(rest, solved.mixes, strict=True):
            plans[index] = _interpret(wishes[index], counts, optimal=solved.optimal)
    return [plans[index] for index in range(len(wishes))]


def _interpret(data: MixData, counts: Mapping[str, int], *, optimal: bool) -> Plan:
    by_cassette = {cid: n for cid, n in sorted(counts.items()) if n}
    by_denomination: dict[int, int] = {}
    for cassette in data.usable:
        if cassette.id in by_cassette:
            by_denomination[cassette.denomination] = (by_denomination.get(cassette.denomination, 0)
                                                      + by_cassette[cassette.id])
    by_denomination = dict(sorted(by_denomination.items(), reverse=True))
    exact, reasons = assess(data, by_denomination, optimal=optimal)
    status = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
    return Plan(data.amount, data.currency.code, str(data.preference.kind), by_cassette,
                by_denomination, exact, reasons, preference=data.preference, status=status)


def _options(data: MixData, parameters: Mapping[str, Any] | None, exact_search: bool) -> Plan:
    """Up to five distinct mixes, each labelled and each meeting its own wish; the first
    (fewest notes) is the plan itself. Raises NotDispensable when no mix pays the amount.

    The exact search answers each wish of the menu, CP-SAT any it could not finish, all of
    those in one model. Without the search, two CP-SAT solves answer the menu, each solving
    several wishes at once: fewest, mixed and "no X" together, and the two small-notes wishes
    together (the groupings that solve fastest, bench/optimiser.py). "smallest" is left out
    when it is bound to repeat "small": when the smallest note alone pays within small's
    budget.
    """
    if data.amount % data.step or not data.usable:
        raise not_dispensable(data)
    below = [d for d in data.denominations if d <= data.amount]
    no_largest = [(f"no_{below[-1]}", Preference(PreferenceKind.BOUNDS, exclude=(below[-1],)))
                  ] if len(below) > 1 else []
    smallest = [] if _small_is_smallest(data) else [
        ("smallest", replace(SMALL, note_budget=data.max_notes))]
    menu = [("fewest", FEWEST), ("mixed", MIXED), *no_largest, ("small", SMALL), *smallest]
    groups = [menu] if exact_search else [
        [("fewest", FEWEST), ("mixed", MIXED), *no_largest], [("small", SMALL), *smallest]]
    labelled: dict[str, Plan] = {}
    for group in groups:
        plans = _solve_together([replace(data, preference=wish) for _, wish in group],
                                parameters, exact_search)
        if plans is None:
            raise not_dispensable(data)
        labelled.update((label, plan) for (label, _), plan in zip(group, plans, strict=True))
    offered: list[Plan] = []
    for label in ["fewest", "mixed", "small", *(label for label, _ in no_largest + smallest)]:
        plan = labelled[label]
        if plan.exact and plan.by_denomination not in [p.by_denomination for p in offered]:
            offered.append(replace(plan, label=label))
    proven = all(plan.status == SolveStatus.OPTIMAL for plan in labelled.values())
    return replace(offered[0], kind=str(PreferenceKind.OPTIONS), options=tuple(offered),
                   status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE)


def _small_is_smallest(data: MixData) -> bool:
    """Return True when "small" can only be the smallest note alone, so "smallest" (the same
    wish with the whole note limit as budget) would be the same mix."""
    if data.max_notes <= SMALL.note_budget:
        return True
    note = data.denominations[0]
    notes = data.amount // note
    return (not data.amount % note and notes <= SMALL.note_budget
            and data.stock(note) >= notes)
