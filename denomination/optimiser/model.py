"""Step 2 of the optimiser: the CP-SAT model of a mix, objectives in priority order.

Building a model through OR-Tools' Python API takes longer than CP-SAT takes to solve it, and
every request for one amount on one terminal has a model of the same structure: only the
stock bounds of the note variables and the inventory-health costs change as notes go out. So
the structure is built once per shape (data.MixShape, cached) and each request copies it and
fills in its own numbers. search.py finds the optimum of the same objective without CP-SAT for
most wishes; this model solves the rest, and it is the reference the search is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from denomination.optimiser.data import HEALTH_CAP, MixData, MixShape
from denomination.optimiser.wishes import WISHES

#: Shapes whose structure is kept: amounts x wishes x terminals seen recently.
TEMPLATES_KEPT = 1024


class LeanCpModel(cp_model.CpModel):
    """A CpModel without the camelCase aliases OR-Tools adds to every new instance.

    Those aliases cost about 0.5 ms per model (bench/optimiser.py), a third of a whole solve,
    and nothing here uses the pre-PEP 8 names.
    """

    def _add_pre_pep8_methods(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class MixModel:
    """The model and the decision variables of each mix in it, by cassette id."""

    model: cp_model.CpModel
    mixes: tuple[dict[str, cp_model.IntVar], ...]


@dataclass(frozen=True, slots=True)
class _Template:
    """A model's structure with no objective; `costs` is the part of the objective that the
    shape fixes (variable index -> coefficient), `health_weights` the weight of one unit of
    health cost in each mix."""

    model: cp_model.CpModel
    mixes: tuple[dict[str, cp_model.IntVar], ...]
    costs: dict[int, int]
    offset: int
    health_weights: tuple[int, ...]


def build_model(*wishes: MixData) -> MixModel:
    """Model one mix per MixData (all on one request) and minimise the sum of their costs.

    Hard rules: pay exactly, no cassette gives more than it holds, at most max_notes notes.
    The mixes share no variable, so the optimum of the sum is each mix's own optimum: one solve
    answers several wishes. That pays off only for some groups of wishes (bench/optimiser.py:
    fewest notes with "no X" and mixed, or the two small-notes wishes); for others CP-SAT's
    search grows faster than the per-solve overhead it saves.
    """
    template = _template(tuple(wish.shape for wish in wishes))
    model = LeanCpModel()
    model.proto.copy_from(template.model.proto)
    variables = model.proto.variables
    costs = dict(template.costs)
    for data, notes, health_weight in zip(wishes, template.mixes, template.health_weights,
                                          strict=True):
        for cassette in data.usable:
            index = notes[cassette.id].index
            if cassette.count < most_notes(data.amount, data.max_notes, cassette.denomination):
                variables[index].domain[1] = cassette.count
            costs[index] += health_weight * data.health[cassette.id]
    objective = model.proto.objective
    objective.vars.extend(list(costs))
    objective.coeffs.extend(list(costs.values()))
    objective.offset = template.offset
    return MixModel(model, template.mixes)


def clear_templates() -> None:
    """Forget every kept model structure (bench/optimiser.py times the cold path with it)."""
    _template.cache_clear()


@lru_cache(maxsize=TEMPLATES_KEPT)
def _template(shapes: tuple[MixShape, ...]) -> _Template:
    """Build the structure: note bounds from the note limit alone, the objective without
    health (CP-SAT's flattened form is kept aside, so a request adds health to it)."""
    model = LeanCpModel()
    objective, mixes, health_weights = 0, [], []
    for shape in shapes:
        cost, notes, health_weight = _add_mix(model, shape)
        objective += cost
        mixes.append(notes)
        health_weights.append(health_weight)
    model.minimize(objective)
    costs = dict(zip(model.proto.objective.vars, model.proto.objective.coeffs, strict=True))
    offset = model.proto.objective.offset
    model.clear_objective()
    return _Template(model, tuple(mixes), costs, offset, tuple(health_weights))


def _add_mix(model: cp_model.CpModel, shape: MixShape
             ) -> tuple[cp_model.LinearExprT, dict[str, cp_model.IntVar], int]:
    """Add one mix of the shape; return its cost without inventory health, its variables and
    the weight of one unit of health cost (the caller adds health, which changes per request).

    The objectives are ranked (wish, inventory health, notes, tie-break) and folded into one
    weighted sum whose weights exceed the range of every lower-ranked term, so one solve
    gives the lexicographic optimum.
    """
    step, limit = shape.step, shape.max_notes
    # notes[c]: how many notes cassette c gives; build_model lowers the bound to c's stock.
    notes = [model.new_int_var(0, most_notes(shape.amount, limit, denomination),
                               f"notes[{cid}]") for cid, denomination in shape.cassettes]
    grouped: dict[int, list[cp_model.IntVar]] = {}
    for (_, denomination), var in zip(shape.cassettes, notes, strict=True):
        grouped.setdefault(denomination, []).append(var)
    by_denomination = {d: vs[0] if len(vs) == 1 else LinearExpr.sum(vs)
                       for d, vs in grouped.items()}
    total = LinearExpr.sum(notes)
    # The notes pay the amount exactly (in units of the notes' common divisor).
    model.add(LinearExpr.weighted_sum(notes, [d // step for _, d in shape.cassettes])
              == shape.amount // step)
    # The dispenser presents at most max_notes notes at once.
    model.add(total <= limit)

    wish = WISHES[shape.preference.kind](model, shape, by_denomination, total)
    weights = objective_weights(len(notes), limit)
    per_note = [rank + weights.notes for rank in range(len(notes))]
    cost = LinearExpr.weighted_sum(notes, per_note) + weights.wish * wish
    return cost, {cid: var for (cid, _), var in zip(shape.cassettes, notes, strict=True)}, \
        weights.health


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the ranked objectives in the one weighted sum CP-SAT minimises."""

    notes: int
    health: int
    wish: int


@lru_cache(maxsize=256)
def objective_weights(cassettes: int, max_notes: int) -> Weights:
    """Return the weights for a mix of `cassettes` usable cassettes and a `max_notes` limit.

    Lowest rank first: tie (a note from the cassette of rank r, in id order, costs r extra, so
    among otherwise equal mixes the earlier cassettes give) < notes < health (notes from
    emptier cassettes cost more, see data._health_costs) < wish. Each weight exceeds the range
    of every term ranked below it, so the weighted optimum is the lexicographic one.
    search.py prices mixes with the same weights.
    """
    notes_weight = max(cassettes - 1, 0) * max_notes + 1
    health_weight = notes_weight * (max_notes + 1)
    return Weights(notes_weight, health_weight, health_weight * (HEALTH_CAP * max_notes + 1))


def most_notes(amount: int, max_notes: int, denomination: int) -> int:
    """Return the bound a note variable has before stock: the note limit, or fewer when that
    many notes would overpay."""
    return min(max_notes, amount // denomination)
