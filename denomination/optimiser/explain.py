"""Why no mix pays an amount: prechecks, then the blocking rules named by CP-SAT assumptions."""

from __future__ import annotations

from functools import reduce
from math import gcd

from ortools.sat.python import cp_model

from denomination.dispensable import dispensable_amounts
from denomination.errors import NotDispensable
from denomination.optimiser.data import MixData
from denomination.optimiser.model import LeanCpModel
from denomination.optimiser.solve import new_solver
from denomination.plan import Reason


def not_dispensable(data: MixData) -> NotDispensable:
    """Return the NotDispensable error for `data`: the blocking rules and the nearest amounts."""
    reasons = blocking_reasons(data)
    nearest = dispensable_amounts(data.currency.code, data.usable, data.max_notes).nearest(
        data.amount)
    return NotDispensable(f"{data.currency.format(data.amount)} cannot be paid now: "
                          + "; ".join(r.message for r in reasons), reasons=reasons,
                          nearest=nearest)


def blocking_reasons(data: MixData) -> tuple[Reason, ...]:
    """Return the rules that together make `data.amount` unpayable."""
    fmt = data.currency.format
    smallest = reduce(gcd, data.currency.notes)
    if data.amount % smallest:
        return (Reason("amount_not_multiple",
                       f"{fmt(data.amount)} is not a multiple of {fmt(smallest)}"),)
    if not data.usable:
        return (Reason("no_notes", f"no {data.currency.code} notes can be dispensed now"),)
    held = sum(c.denomination * c.count for c in data.usable)
    if held < data.amount:
        return (Reason("insufficient_funds", f"the terminal holds only {fmt(held)} in notes "
                       "it can dispense"),)
    return _core(data)


def _core(data: MixData) -> tuple[Reason, ...]:
    """Relax every rule behind an assumption literal; the infeasible core names the blockers.

    Notes of the currency that are not loaded become virtual cassettes that must stay at zero,
    so "no 1000 notes loaded" can be a reason too. The core is shrunk by deletion so that every
    reason given is needed.
    """
    fmt = data.currency.format
    model = LeanCpModel()
    rules: dict[int, tuple[cp_model.IntVar, Reason]] = {}
    terms, notes = [], []

    def rule(name: str, reason: Reason) -> cp_model.IntVar:
        literal = model.new_bool_var(f"rule:{name}")
        rules[literal.index] = (literal, reason)
        return literal

    for cassette in data.all_of_currency:
        # n: notes from this cassette, free up to what the amount could use.
        n = model.new_int_var(0, data.amount // cassette.denomination, f"notes[{cassette.id}]")
        terms.append(cassette.denomination * n)
        notes.append(n)
        if cassette.dispensable:
            # The cassette gives no more notes than it holds.
            model.add(n <= cassette.count).only_enforce_if(rule(
                f"stock:{cassette.id}", Reason(
                    "insufficient_notes", f"cassette {cassette.id} holds only {cassette.count} x "
                    f"{fmt(cassette.denomination)}", cassette.denomination, cassette.id)))
        else:
            # An inoperative, missing, locked or empty cassette gives nothing.
            model.add(n == 0).only_enforce_if(rule(f"unusable:{cassette.id}",
                                                   _unusable(cassette, fmt)))
    loaded = {c.denomination for c in data.all_of_currency}
    for denomination in sorted(set(data.currency.notes) - loaded):
        n = model.new_int_var(0, data.amount // denomination, f"virtual[{denomination}]")
        terms.append(denomination * n)
        notes.append(n)
        # A note that is not loaded cannot be given.
        model.add(n == 0).only_enforce_if(rule(f"not_loaded:{denomination}", Reason(
            "denomination_not_loaded", f"no {fmt(denomination)} notes are loaded", denomination)))
    # The notes pay the amount exactly.
    model.add(sum(terms) == data.amount)
    # The dispenser presents at most max_notes notes at once.
    model.add(sum(notes) <= data.max_notes).only_enforce_if(rule("note_limit", Reason(
        "too_many_notes", f"paying {fmt(data.amount)} needs more than {data.max_notes} notes, "
        "the most the dispenser gives at once")))

    core = _infeasible_core(model, [lit for lit, _ in rules.values()])
    return tuple(rules[lit.index][1] for lit in core)


def _infeasible_core(model: cp_model.CpModel, literals: list) -> list:
    solver = new_solver()
    model.add_assumptions(literals)
    if solver.solve(model) != cp_model.INFEASIBLE:
        return []
    found = set(solver.sufficient_assumptions_for_infeasibility())
    core = [lit for lit in literals if lit.index in found]
    for literal in list(core):
        trial = [lit for lit in core if lit is not literal]
        model.clear_assumptions()
        model.add_assumptions(trial)
        if solver.solve(model) == cp_model.INFEASIBLE:
            core = trial
    return core


def _unusable(cassette, fmt) -> Reason:
    if cassette.locked:
        state = "locked"
    elif cassette.count <= 0:
        state = "empty"
    else:
        state = str(cassette.status)
    return Reason(f"cassette_{state}", f"cassette {cassette.id} ({fmt(cassette.denomination)}) "
                  f"is {state}", cassette.denomination, cassette.id)
