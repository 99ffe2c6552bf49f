"""Step 3 of the optimiser: run CP-SAT with the tuned parameters and read the answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from denomination.errors import OptimiserError
from denomination.preferences import PreferenceKind

#: Measured on the 6-cassette benchmark (bench/optimiser.py): one worker avoids thread start-up,
#: presolve costs more than it saves on models this small, and LP-guided branching with the
#: full linear relaxation (no cuts) proves optimality in a few nodes.
SOLVER_PARAMETERS = {
    "num_workers": 1,
    "cp_model_presolve": False,
    "search_branching": cp_model.LP_SEARCH,
    "linearization_level": 2,
    "cut_level": 0,
    "max_time_in_seconds": 2.0,
}

#: On top of SOLVER_PARAMETERS, for a model whose wishes are all of one kind: the small-notes
#: wish solves about a quarter faster with plain propagation than with the LP relaxation.
KIND_PARAMETERS = {
    PreferenceKind.SMALL: {"linearization_level": 0,
                           "search_branching": cp_model.AUTOMATIC_SEARCH},
}


def new_solver(parameters: Mapping[str, Any] | None = None,
               kinds: Iterable[PreferenceKind] = ()) -> cp_model.CpSolver:
    """Return a solver set up with SOLVER_PARAMETERS tuned for the model's wish `kinds` (or,
    when `parameters` are given, with exactly those)."""
    if parameters is None:
        distinct = set(kinds)
        only_kind = distinct.pop() if len(distinct) == 1 else None
        parameters = SOLVER_PARAMETERS | KIND_PARAMETERS.get(only_kind, {})
    solver = cp_model.CpSolver()
    for name, value in parameters.items():
        setattr(solver.parameters, name, value)
    return solver


@dataclass(frozen=True, slots=True)
class Solution:
    """Cassette id -> notes for each mix of a model, and whether CP-SAT proved them optimal
    (False: it stopped at its time limit with the best mixes found so far)."""

    mixes: list[dict[str, int]]
    optimal: bool


def solve(model: cp_model.CpModel, mixes: Sequence[dict[str, cp_model.IntVar]],
          solver: cp_model.CpSolver | None = None) -> Solution | None:
    """Solve and return the mixes with CP-SAT's verdict on them, or None when infeasible.

    Raises OptimiserError (`optimiser_error`) when CP-SAT stopped without any mix (time limit
    before a first solution, invalid model).
    """
    solver = solver or new_solver()
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise OptimiserError(f"CP-SAT stopped with {solver.status_name(status)}",
                             status=solver.status_name(status))
    return Solution([{cid: solver.value(var) for cid, var in notes.items()} for notes in mixes],
                    status == cp_model.OPTIMAL)


def solve_mixes(model: cp_model.CpModel, mixes: Sequence[dict[str, cp_model.IntVar]],
                solver: cp_model.CpSolver | None = None) -> list[dict[str, int]] | None:
    """Solve and return cassette id -> notes for each mix, or None when infeasible (see solve:
    this drops the verdict, for callers that only need a valid mix).

    Raises OptimiserError (`optimiser_error`) when CP-SAT stopped without any mix.
    """
    found = solve(model, mixes, solver)
    return None if found is None else found.mixes
