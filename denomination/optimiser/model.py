"""Step 2 of the optimiser: the CP-SAT model of one mix, objectives in priority order."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from denomination.optimiser.data import HEALTH_CAP, MixData
from denomination.optimiser.wishes import WISHES


class LeanCpModel(cp_model.CpModel):
    """A CpModel without the camelCase aliases OR-Tools adds to every new instance.

    Those aliases cost about 0.5 ms per model (bench/optimiser.py), a third of a whole solve,
    and nothing here uses the pre-PEP 8 names.
    """

    def _add_pre_pep8_methods(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class MixModel:
    """The model and its decision variables, by cassette id."""

    model: cp_model.CpModel
    notes: dict[str, cp_model.IntVar]


def build_model(data: MixData) -> MixModel:
    """Model the mix: pay exactly, within stock and the note limit; minimise the objectives.

    The objectives are ranked (wish, inventory health, notes, tie-break) and folded into one
    weighted sum whose weights exceed the range of every lower-ranked term, so one solve
    gives the lexicographic optimum. (A menu of wishes is one small model each: sharing one
    model between several objectives, or solving their sum, measured several times slower.)
    """
    model = LeanCpModel()
    step, limit = data.step, data.max_notes
    # notes[c]: how many notes cassette c gives (never more than it holds or the limit allows).
    notes = {c.id: model.new_int_var(0, min(c.count, limit, data.amount // c.denomination),
                                     f"notes[{c.id}]") for c in data.usable}
    by_denomination: dict[int, cp_model.LinearExprT] = {}
    for cassette in data.usable:
        by_denomination[cassette.denomination] = (by_denomination.get(cassette.denomination, 0)
                                                  + notes[cassette.id])
    total = sum(notes.values())
    # The notes pay the amount exactly (in units of the notes' common divisor).
    model.add(sum(c.denomination // step * notes[c.id] for c in data.usable)
              == data.amount // step)
    # The dispenser presents at most max_notes notes at once.
    model.add(total <= limit)

    wish, wish_bound = WISHES[data.preference.kind](model, data, by_denomination, total)
    # health: notes from emptier cassettes cost more (see data._health_costs).
    health = sum(data.health[cid] * var for cid, var in notes.items())
    health_bound = HEALTH_CAP * limit
    # tie: prefer cassettes earlier in id order, so equal answers are always the same answer.
    tie = sum(data.rank[cid] * var for cid, var in notes.items())
    tie_bound = max(len(notes) - 1, 0) * limit

    objective, weight = tie, tie_bound + 1
    for term, bound in ((total, limit), (health, health_bound), (wish, wish_bound)):
        objective += weight * term
        weight *= bound + 1
    model.minimize(objective)
    return MixModel(model, notes)
