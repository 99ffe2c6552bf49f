"""The planner's target: what it minimises and the limits a load must meet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from statistics import fmean, stdev

from sim.traffic.evaluation import Score


class Goal(StrEnum):
    """What the planner minimises."""

    LEAST_CASH = "least-cash"
    FEWEST_VISITS = "fewest-visits"


@dataclass(frozen=True, slots=True)
class Target:
    """The goal and its limits: visits a month, mean cash (minor units), refused share.

    `paired_refused` (seed -> the baseline's refused share) is set when the refusal limit is
    the baseline's: a candidate must then also refuse no more than the baseline with some
    confidence. On each seed both saw the same demand, so the per-seed differences are paired;
    their mean plus `margin_z` standard errors must be <= 0. Without a margin the least-cash
    search settles on the edge of the limit, where half the out-of-sample months fall over it,
    and a load that refuses a steady share in quiet months passes on the strength of a few
    busy months in which the baseline refuses more.
    """

    goal: Goal
    max_visits: float | None = None
    max_cash: float | None = None
    max_refused: float | None = None
    paired_refused: tuple[tuple[int, float], ...] = ()
    margin_z: float = 0.0

    def violations(self, score: Score) -> tuple[float, float, float]:
        """Return the constraint values (<= 0 when met): the goal's other limit, refusals, and
        the upper confidence bound of the per-seed refusal difference to the baseline (0 when
        not paired)."""
        if self.goal == Goal.LEAST_CASH:
            first = score.visits - self.max_visits if self.max_visits is not None else 0.0
        else:
            first = ((score.mean_cash - self.max_cash) / max(self.max_cash, 1)
                     if self.max_cash is not None else 0.0)
        refused = score.refused - self.max_refused if self.max_refused is not None else 0.0
        baseline = dict(self.paired_refused)
        differences = [s.refused - baseline[s.seed] for s in score.seeds if s.seed in baseline]
        if len(differences) < 2:
            return first, refused, sum(differences)
        error = stdev(differences) / math.sqrt(len(differences))
        return first, refused, fmean(differences) + self.margin_z * error

    def feasible(self, score: Score) -> bool:
        """Return True when the score meets every limit."""
        return all(v <= 1e-12 for v in self.violations(score))

    def objective(self, score: Score) -> float:
        """Return what is minimised: mean cash, or visits with mean cash to break ties."""
        if self.goal == Goal.LEAST_CASH:
            return score.mean_cash
        return score.visits + score.mean_cash / 1e15


def resolve_target(goal: Goal, baseline: Score, *, max_visits: float | None = None,
                   max_cash: float | None = None, max_refused: float | None = None,
                   margin_z: float = 0.0) -> Target:
    """Return the target with every limit not given taken from the baseline's figures (the
    refusal limit then paired with the baseline seed by seed, `margin_z` standard errors)."""
    paired = ()
    if max_refused is None:
        max_refused = baseline.refused
        paired = tuple((s.seed, s.refused) for s in baseline.seeds)
    if goal == Goal.LEAST_CASH:
        return Target(goal, max_visits=baseline.visits if max_visits is None else max_visits,
                      max_refused=max_refused, paired_refused=paired, margin_z=margin_z)
    return Target(goal, max_cash=baseline.mean_cash if max_cash is None else max_cash,
                  max_refused=max_refused, paired_refused=paired, margin_z=margin_z)
