"""One planner run for a terminal: search on the train seeds, then judge on fresh test seeds.

Every figure of a `PlanRun` except `plan.trials`, `plan.confirmed`, `plan.baseline_train` and
`plan.chosen` is measured on the test seeds, which neither the search nor the confirmation saw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.traffic.evaluation import Candidate, Evaluator, Score
from sim.traffic.plan_target import Goal
from sim.traffic.planner import BASELINE_POLICY, Plan, plan_load
from sim.traffic.terminal import Terminal


@dataclass(frozen=True, slots=True)
class PlanRun:
    """The plan, and on the test seeds: the baseline (bank_optimal unless the plan says
    otherwise, the file's load), the policy on the file's load and the policy on the planned
    load (with wish failures)."""

    terminal: Terminal
    plan: Plan
    test_seeds: tuple[int, ...]
    baseline: Score
    default: Score
    planned: Score
    seconds: float = 0.0


def run_plan(terminal: Terminal, evaluator: Evaluator, policy: str, goal: Goal, *,
             train_seeds: Sequence[int], test_seeds: Sequence[int], trials: int, seed: int = 0,
             max_visits: float | None = None, max_cash: float | None = None,
             max_refused: float | None = None, baseline_policy: str = BASELINE_POLICY,
             confirm_seeds: Sequence[int] = (),
             progress: Callable[[int, int], None] | None = None) -> PlanRun:
    """Return the plan for `terminal` and its figures on `test_seeds` (see plan_load)."""
    overlap = (set(train_seeds) | set(confirm_seeds)) & set(test_seeds)
    if overlap:
        raise ValueError(f"test seeds must be fresh; also in train: {sorted(overlap)}")
    plan = plan_load(terminal, evaluator, policy, goal, train_seeds=train_seeds, trials=trials,
                     seed=seed, max_visits=max_visits, max_cash=max_cash,
                     max_refused=max_refused, baseline_policy=baseline_policy,
                     confirm_seeds=confirm_seeds, progress=progress)
    tests = tuple(test_seeds)
    default = Candidate.of(terminal)
    baseline, same_load, planned = evaluator.score_many(
        terminal, baseline_policy, [default], tests, classify=True) + evaluator.score_many(
        terminal, policy, [default, plan.chosen.candidate], tests, classify=True)
    return PlanRun(terminal, plan, tests, baseline, same_load, planned)


def parse_seeds(text: str) -> tuple[int, ...]:
    """Return the seeds of "1,2,5-8" (ranges inclusive); raises ValueError on bad text."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            first, last = part.split("-", 1)
            seeds += range(int(first), int(last) + 1)
        else:
            seeds.append(int(part))
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {text!r}: give distinct integers, e.g. 1-3 or 1,2,7")
    return tuple(seeds)
