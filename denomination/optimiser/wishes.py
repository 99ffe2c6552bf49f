"""The customer's wish as a CP-SAT cost term, one function per preference kind.

Each function adds what it needs to the model and returns the wish's cost term; a cost of 0
never means "met" by itself, `assessment.py` decides that. Semantics, with the demo
CZK terminal (100, 200, 500, 1000, 2000, 5000; 40-note limit):

- fewest: the fewest notes. 2000 -> 1 x 2000.
- small: the smallest "largest note" that keeps the mix within the note budget (15 unless the
  customer says otherwise). 2000 -> 10 x 200 (100s would need 20 notes, which is as unhelpful
  in a shop as a single 2000); 500 -> 5 x 100; 5000 -> 10 x 500.
- mixed: as many different denominations below the amount as possible.
  2000 -> 1000 + 500 + 200 + 200 + 100; 300 -> 200 + 100.

For small and mixed, any mix meeting the wish equally well is equally good for the customer, so
inventory health chooses among them (say 8 x 200 + 4 x 100 when the 200s run low), and only
then the fewest notes.
- counts: the smallest total deviation, note by note, from the requested counts.
- bounds: the smallest total violation of the min / max / exclude bounds, then (after
  inventory health) the fewest notes.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from denomination.optimiser.data import MixShape
from denomination.preferences import PreferenceKind

Term = cp_model.LinearExprT
ByDenomination = dict[int, cp_model.LinearExprT]


def fewest(model: cp_model.CpModel, shape: MixShape, by_denomination: ByDenomination,
           total: cp_model.LinearExprT) -> Term:
    """Cost = number of notes."""
    return total


def small(model: cp_model.CpModel, shape: MixShape, by_denomination: ByDenomination,
          total: cp_model.LinearExprT) -> Term:
    """Cost = (notes over budget, rank of the largest note used), lexicographically."""
    denominations = sorted(by_denomination)
    budget = min(shape.preference.note_budget, shape.max_notes)
    # over: notes beyond the customer's budget.
    over = model.new_int_var(0, shape.max_notes, "over_budget")
    model.add(over >= total - budget)
    # above[k]: the mix holds a note of rank k or higher (rank 0 = smallest). Minimising their
    # sum makes it the rank of the largest note used.
    above = []
    for rank in range(1, len(denominations)):
        flag = model.new_bool_var(f"above[{rank}]")
        model.add(LinearExpr.sum([by_denomination[d] for d in denominations[rank:]])
                  <= shape.max_notes * flag)
        above.append(flag)
    return over * len(denominations) + LinearExpr.sum(above)


def mixed(model: cp_model.CpModel, shape: MixShape, by_denomination: ByDenomination,
          total: cp_model.LinearExprT) -> Term:
    """Cost = denominations below the amount left out of the mix."""
    below = [d for d in sorted(by_denomination) if d < shape.amount]
    used = []
    for denomination in below:
        # used[d] only if the mix holds at least one note of d.
        flag = model.new_bool_var(f"used[{denomination}]")
        model.add(by_denomination[denomination] >= flag)
        used.append(flag)
    return len(below) - LinearExpr.sum(used)


def counts(model: cp_model.CpModel, shape: MixShape, by_denomination: ByDenomination,
           total: cp_model.LinearExprT) -> Term:
    """Cost = total absolute deviation from the requested counts, over every denomination."""
    wanted = dict(shape.preference.counts)
    cost = 0
    for denomination in sorted(set(wanted) | set(by_denomination)):
        want = wanted.get(denomination, 0)
        given = by_denomination.get(denomination, 0)
        top = max(want, shape.max_notes)
        # deviation[d] >= |notes of d - wanted of d|
        deviation = model.new_int_var(0, top, f"deviation[{denomination}]")
        model.add(deviation >= given - want)
        model.add(deviation >= want - given)
        cost += deviation
    return cost


def bounds(model: cp_model.CpModel, shape: MixShape, by_denomination: ByDenomination,
           total: cp_model.LinearExprT) -> Term:
    """Cost = notes short of each minimum + notes over each maximum (an exclusion is max 0)."""
    preference = shape.preference
    maximum = dict(preference.maximum) | {d: 0 for d in preference.exclude}
    cost = 0
    for denomination, least in preference.minimum:
        given = by_denomination.get(denomination, 0)
        # short[d] >= min[d] - notes of d
        short = model.new_int_var(0, least, f"short[{denomination}]")
        model.add(short >= least - given)
        cost += short
    for denomination, most in sorted(maximum.items()):
        if denomination not in by_denomination:
            continue
        # excess[d] >= notes of d - max[d]
        excess = model.new_int_var(0, shape.max_notes, f"excess[{denomination}]")
        model.add(excess >= by_denomination[denomination] - most)
        cost += excess
    return cost


WISHES: dict[PreferenceKind, Callable[..., Term]] = {
    PreferenceKind.FEWEST: fewest,
    PreferenceKind.SMALL: small,
    PreferenceKind.MIXED: mixed,
    PreferenceKind.COUNTS: counts,
    PreferenceKind.BOUNDS: bounds,
}
