"""plan_mix: the optimiser's entry point (data -> model -> solve -> interpret)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from denomination.cassettes import Cassette
from denomination.catalogue import Catalogue, default_catalogue
from denomination.optimiser.assessment import assess
from denomination.optimiser.data import MixData, check_request
from denomination.optimiser.explain import not_dispensable
from denomination.optimiser.model import build_model
from denomination.optimiser.solve import new_solver, solve_counts
from denomination.plan import Plan
from denomination.preferences import Preference, PreferenceKind

#: The menu of an `options` request, in order: (label, preference). Two more follow: without
#: the largest note the amount allows ("no 2000s"), and the smallest notes the limit allows.
MENU: tuple[tuple[str, Preference], ...] = (
    ("fewest", Preference(PreferenceKind.FEWEST)),
    ("mixed", Preference(PreferenceKind.MIXED)),
    ("small", Preference(PreferenceKind.SMALL)),
)
MENU_SIZE = 5


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
    if data.amount % data.step or not data.usable:
        return None
    mix = build_model(data)
    counts = solve_counts(mix.model, mix.notes, new_solver(parameters))
    return None if counts is None else _interpret(data, counts)


def _interpret(data: MixData, counts: Mapping[str, int], label: str | None = None) -> Plan:
    plan = Plan.from_counts(data.amount, data.currency.code, str(data.preference.kind), counts,
                            {c.id: c.denomination for c in data.usable}, label=label)
    exact, reasons = assess(data, plan.by_denomination, optimal=True)
    return replace(plan, exact=exact, reasons=reasons)


def _options(data: MixData, parameters: Mapping[str, Any] | None) -> Plan:
    """Up to MENU_SIZE distinct mixes, each labelled and each meeting its own wish; the first
    (fewest notes) is the plan itself. Raises NotDispensable when no mix pays the amount.

    A wish whose answer is known to repeat an earlier one is not solved: "no X" when the
    fewest-notes mix has no X, "smallest" when "small" already uses only the smallest note.
    """
    smallest_note = data.denominations[0] if data.usable else None
    offered: list[Plan] = []

    def offer(label: str, wish: Preference) -> Plan:
        plan = _solve(replace(data, preference=wish), parameters)
        if plan is None:
            raise not_dispensable(data)
        known = [tuple(p.by_denomination.items()) for p in offered]
        if plan.exact and tuple(plan.by_denomination.items()) not in known:
            offered.append(replace(plan, label=label))
        return plan

    fewest = offer(*MENU[0])
    offer(*MENU[1])
    small = offer(*MENU[2])
    largest = max(fewest.by_denomination)
    if len(data.denominations) > 1 and largest != smallest_note:
        offer(f"no_{largest}", Preference(PreferenceKind.BOUNDS, exclude=(largest,)))
    if set(small.by_denomination) != {smallest_note} and len(offered) < MENU_SIZE:
        offer("smallest", Preference(PreferenceKind.SMALL, note_budget=data.max_notes))
    return replace(offered[0], kind=str(PreferenceKind.OPTIONS), options=tuple(offered))
