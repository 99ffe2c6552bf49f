"""The cash/visits frontier: mean cash held against visits a month, every point out of sample.

Four series for a terminal: bank_optimal and a Cashmix policy, each with the file's own load
(scaled by a few factors, thresholds as in the file: the bank's proportions) and with a load
planned for each of a few visit limits (least mean cash at no more visits, refusals no higher
than bank_optimal's on the file's load). Plans are searched on the train seeds; every point
is measured on the test seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.traffic.evaluation import Candidate, Evaluator, Score
from sim.traffic.plan_start import proportional
from sim.traffic.plan_target import Goal
from sim.traffic.planner import plan_load
from sim.traffic.terminal import Terminal

#: The file's load is scaled by these factors for the default-load series.
DEFAULT_SCALES = (0.6, 0.8, 1.0, 1.5, 2.0)


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """One point: its series (policy and load kind), what set it (a scale of the file's load
    or a visit limit), the load and its test score."""

    policy: str
    load_kind: str          # "default" or "planned"
    setting: str            # "x1.5" or "<= 9 visits"
    candidate: Candidate
    score: Score

    @property
    def series(self) -> str:
        """Return the series label, e.g. "cashmix, planned load"."""
        return f"{self.policy}, {self.load_kind} load"


def frontier(terminal: Terminal, evaluator: Evaluator, policies: Sequence[str],
             visit_levels: Sequence[float], *, train_seeds: Sequence[int],
             test_seeds: Sequence[int], confirm_seeds: Sequence[int] = (), trials: int,
             seed: int = 0,
             max_refused: float | None = None,
             progress: Callable[[str], None] | None = None) -> list[FrontierPoint]:
    """Return the frontier's points for each policy (default and planned series).

    `progress(label)` is called before each plan is searched.
    """
    points: list[FrontierPoint] = []
    for policy in policies:
        scaled = [proportional(terminal, f) for f in DEFAULT_SCALES]
        scores = evaluator.score_many(terminal, policy, scaled, test_seeds)
        points += [FrontierPoint(policy, "default", f"x{f:g}", c, s)
                   for f, c, s in zip(DEFAULT_SCALES, scaled, scores, strict=True)]
        planned = []
        for level in visit_levels:
            if progress is not None:
                progress(f"{policy}: plan for <= {level:g} visits a month")
            plan = plan_load(terminal, evaluator, policy, Goal.LEAST_CASH,
                             train_seeds=train_seeds, trials=trials, seed=seed,
                             max_visits=level, max_refused=max_refused,
                             confirm_seeds=confirm_seeds)
            planned.append((level, plan.chosen.candidate))
        scores = evaluator.score_many(terminal, policy, [c for _, c in planned], test_seeds)
        points += [FrontierPoint(policy, "planned", f"<= {level:g} visits", c, s)
                   for (level, c), s in zip(planned, scores, strict=True)]
    return points
