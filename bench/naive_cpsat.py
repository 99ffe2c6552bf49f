"""The naive baseline of bench/optimiser.py: each wish as a straightforward CP-SAT model.

What someone who knows CP-SAT would write first for the same wish, with the same ranking of
objectives as plan_mix (wish, inventory health, notes, tie-break by cassette id, folded into
one weighted sum with the weights of denomination.optimiser.model.objective_weights) and the
same health costs (taken from the request check plan_mix runs), so both find equally good
mixes: one integer variable per cassette, the exact amount and the note limit as linear
constraints, the wish with the usual helpers (AddAbsEquality for a deviation, reified bounds
for "uses this note"), built afresh for each request and solved by a CpSolver on its default
parameters (presolve, all cores, default search). No model reuse, no tuned parameters, no
search of our own: that is what plan_mix adds.
"""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from denomination import Preference, PreferenceKind, default_catalogue
from denomination.optimiser.data import HEALTH_CAP, MixData, check_request


def naive_plan(amount: int, cassettes, preference: Preference, max_notes: int,
               parameters: dict | None = None) -> dict[str, int] | None:
    """Return cassette id -> notes of the optimum, or None when no mix pays the amount."""
    data = check_request(amount, "CZK", cassettes, preference, max_notes, default_catalogue())
    return solve_wish(data, parameters)


def naive_options(amount: int, cassettes, max_notes: int,
                  parameters: dict | None = None) -> dict[str, dict[str, int] | None]:
    """The menu of an options request, one model per wish: label -> mix."""
    data = check_request(amount, "CZK", cassettes, Preference(PreferenceKind.OPTIONS),
                         max_notes, default_catalogue())
    below = [d for d in sorted({c.denomination for c in data.usable}) if d <= amount]
    wishes = {"fewest": Preference(), "mixed": Preference(PreferenceKind.MIXED),
              "small": Preference(PreferenceKind.SMALL),
              "smallest": Preference(PreferenceKind.SMALL, note_budget=max_notes)}
    if len(below) > 1:
        wishes[f"no_{below[-1]}"] = Preference(PreferenceKind.BOUNDS, exclude=(below[-1],))
    return {label: solve_wish(replace(data, preference=wish), parameters)
            for label, wish in wishes.items()}


def solve_wish(data: MixData, parameters: dict | None = None) -> dict[str, int] | None:
    """Build and solve the model of `data`'s wish."""
    if not data.usable:
        return None
    model = cp_model.CpModel()
    limit = data.max_notes
    notes = {c.id: model.new_int_var(0, min(c.count, limit), f"notes_{c.id}")
             for c in data.usable}
    model.add(sum(c.denomination * notes[c.id] for c in data.usable) == data.amount)
    total = sum(notes.values())
    model.add(total <= limit)
    given: dict[int, cp_model.LinearExprT] = {}
    for cassette in data.usable:
        given[cassette.denomination] = given.get(cassette.denomination, 0) + notes[cassette.id]
    wish = _wish(model, data, given, total)

    count = len(data.usable)
    notes_weight = max(count - 1, 0) * limit + 1
    health_weight = notes_weight * (limit + 1)
    wish_weight = health_weight * (HEALTH_CAP * limit + 1)
    model.minimize(wish_weight * wish + sum(
        (notes_weight + rank + health_weight * data.health[c.id]) * notes[c.id]
        for rank, c in enumerate(data.usable)))
    solver = cp_model.CpSolver()
    for name, value in (parameters or {}).items():
        setattr(solver.parameters, name, value)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {cid: solver.value(var) for cid, var in notes.items()}


def _wish(model: cp_model.CpModel, data: MixData, given: dict, total) -> cp_model.LinearExprT:
    preference, limit = data.preference, data.max_notes
    kind = preference.kind
    if kind == PreferenceKind.FEWEST:
        return total
    if kind == PreferenceKind.COUNTS:
        wanted = dict(preference.counts)
        deviations = []
        for denomination in sorted(set(wanted) | set(given)):
            deviation = model.new_int_var(0, max(limit, wanted.get(denomination, 0)),
                                          f"deviation_{denomination}")
            model.add_abs_equality(deviation, given.get(denomination, 0)
                                   - wanted.get(denomination, 0))
            deviations.append(deviation)
        return sum(deviations)
    if kind == PreferenceKind.BOUNDS:
        misses = []
        for denomination, least in preference.minimum:
            short = model.new_int_var(0, least, f"short_{denomination}")
            model.add(short >= least - given.get(denomination, 0))
            misses.append(short)
        maximum = dict(preference.maximum) | {d: 0 for d in preference.exclude}
        for denomination, most in maximum.items():
            if denomination in given:
                excess = model.new_int_var(0, limit, f"excess_{denomination}")
                model.add(excess >= given[denomination] - most)
                misses.append(excess)
        return sum(misses)
    if kind == PreferenceKind.MIXED:
        below = [d for d in sorted(given) if d < data.amount]
        used = []
        for denomination in below:
            flag = model.new_bool_var(f"used_{denomination}")
            model.add(given[denomination] >= 1).only_enforce_if(flag)
            used.append(flag)
        return len(below) - sum(used)
    # small: notes over the budget first, then the rank of the largest note used.
    denominations = sorted(given)
    budget = min(preference.note_budget, limit)
    over = model.new_int_var(0, limit, "over_budget")
    model.add(over >= total - budget)
    largest = model.new_int_var(0, len(denominations) - 1, "largest_rank")
    for rank, denomination in enumerate(denominations):
        model.add(largest >= rank).only_enforce_if(_gives(model, given[denomination], rank))
    return over * len(denominations) + largest


def _gives(model: cp_model.CpModel, notes, rank: int) -> cp_model.IntVar:
    """A literal true exactly when `notes` > 0."""
    flag = model.new_bool_var(f"gives_{rank}")
    model.add(notes >= 1).only_enforce_if(flag)
    model.add(notes == 0).only_enforce_if(flag.negated())
    return flag
