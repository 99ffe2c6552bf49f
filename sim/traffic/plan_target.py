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
    busy months in which the baseline refuses more. `paired_visits` (seed -> the baseline's
    visits a month) does the same for a visit limit that is the baseline's: once the planner
    trims a load toward that limit, a candidate level with it on average would be over it on
    about half the fresh months.
    """

    goal: Goal
    max_visits: float | None = None
    max_cash: float | None = None
    max_refused: float | None = None
    paired_refused: tuple[tuple[int, float], ...] = ()
    margin_z: float = 0.0
    paired_visits: tuple[tuple[int, float], ...] = ()

    def violations(self, score: Score) -> tuple[float, float, float, float]:
        """Return the constraint values (<= 0 when met): the goal's other limit, refusals, and
        the upper confidence bounds of the per-seed refusal and visits differences to the
        baseline (0 when not paired)."""
        if self.goal == Goal.LEAST_CASH:
            first = score.visits - self.max_visits if self.max_visits is not None else 0.0
        else:
            first = ((score.mean_cash - self.max_cash) / max(self.max_cash, 1)
                     if self.max_cash is not None else 0.0)
        refused = score.refused - self.max_refused if self.max_refused is not None else 0.0
        return (first, refused, self._paired(score, "refused", self.paired_refused),
                self._paired(score, "visits_per_month", self.paired_visits))

    def _paired(self, score: Score, figure: str, baseline: tuple[tuple[int, float], ...]) -> float:
        """Return the mean per-seed difference of `figure` to the baseline plus `margin_z`
        standard errors (the plain sum with fewer than two paired seeds)."""
        base = dict(baseline)
        differences = [getattr(s, figure) - base[s.seed] for s in score.seeds if s.seed in base]
        if len(differences) < 2:
            return sum(differences)
        error = stdev(differences) / math.sqrt(len(differences))
        return fmean(differences) + self.margin_z * error

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
    refusal limit, and the visit limit of the least-cash goal, then paired with the baseline
    seed by seed, `margin_z` standard errors)."""
    paired = ()
    if max_refused is None:
        max_refused = baseline.refused
        paired = tuple((s.seed, s.refused) for s in baseline.seeds)
    if goal == Goal.LEAST_CASH:
        visits = ()
        if max_visits is None:
            max_visits = baseline.visits
            visits = tuple((s.seed, s.visits_per_month) for s in baseline.seeds)
        return Target(goal, max_visits=max_visits, max_refused=max_refused,
                      paired_refused=paired, margin_z=margin_z, paired_visits=visits)
    return Target(goal, max_cash=baseline.mean_cash if max_cash is None else max_cash,
                  max_refused=max_refused, paired_refused=paired, margin_z=margin_z)
