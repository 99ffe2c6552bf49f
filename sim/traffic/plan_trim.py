"""The planner's last step: the cheapest finalists' cycles trimmed toward the visit limit.

The safety ladder keeps the analytic start's cycle (each load less its low threshold) and so
its visits, which the start's quantiles put somewhat under the limit (8.8 a month for 9 on the
typical Czech ATM under Cashmix). Trimming a finalist's cycle with its thresholds kept spends
that slack: the same stock is in hand when the crew is called, and less cash is held between
visits. Per-seed visits are whole numbers, so a small trim adds a visit on a few months only
and a larger one on many; each finalist is trimmed in a few steps up to the cut a simple model
of the visit interval asks for, and every trimmed load is scored on all the in-sample seeds,
where the baseline was, and judged like the finalists (paired limits, with their margins).
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.traffic.evaluation import Candidate, Evaluator, Score
from sim.traffic.metrics import DAYS_PER_MONTH
from sim.traffic.plan_target import Goal, Target
from sim.traffic.terminal import Terminal

#: Shares of the model's cycle cut tried on each trimmed finalist (one batch of simulations):
#: the model's whole cut, which puts the visits about level with the limit, and smaller ones,
#: which keep some of the slack as a margin.
TRIM_STEPS = (1.0, 0.75, 0.5, 0.25)
#: Finalists trimmed at most: the feasible ones whose trimmed cash may beat the cheapest.
TRIMMED_FINALISTS = 2


def cycle_share(visits: float, limit: float, lead_hours: int) -> float:
    """Return the share of a load's cycle that should give `limit` visits a month where the
    whole cycle gives `visits`: a visit interval is the time the cycle lasts plus the lead
    time. Return 1 when there is no slack."""
    hours = DAYS_PER_MONTH * 24
    if visits <= 0 or visits >= limit:
        return 1.0
    lasts, wanted = hours / visits - lead_hours, hours / limit - lead_hours
    if lasts <= 0 or wanted <= 0:
        return 1.0
    return min(1.0, wanted / lasts)


def trimmed(candidate: Candidate, share: float) -> Candidate:
    """Return the candidate with each cassette's cycle (load less threshold) times `share`,
    in whole notes and at least one, thresholds kept; a cassette with no cycle keeps its
    load (a trim never adds a note)."""
    low = dict(candidate.thresholds)
    return Candidate(tuple((cid, n if n <= low[cid] else
                            low[cid] + max(1, round((n - low[cid]) * share)))
                           for cid, n in candidate.load), candidate.thresholds)


def trim_candidates(terminal: Terminal, finalists: Sequence[tuple[Candidate, Score, bool]],
                    target: Target, lead_hours: int) -> list[tuple[int, Candidate]]:
    """Return (index of the finalist, trimmed candidate) to score: up to `TRIMMED_FINALISTS`
    feasible finalists under the visit limit, the cheapest first by the cash expected after
    the model's cut (half the cut's value less: the stock falls from the load to the
    threshold), each only if that could beat the cheapest feasible finalist, at every step of
    `TRIM_STEPS`. None when the goal is not the least cash for some visits."""
    if target.goal != Goal.LEAST_CASH or target.max_visits is None:
        return []
    feasible = [(i, c, s) for i, (c, s, ok) in enumerate(finalists) if ok]
    if not feasible:
        return []
    cheapest = min(s.mean_cash for _, _, s in feasible)
    ranked = []
    for i, candidate, score in feasible:
        share = cycle_share(score.visits, target.max_visits, lead_hours)
        expected = score.mean_cash - (1 - share) * candidate.cycle_value(terminal) / 2
        if share < 1 and expected < cheapest:
            ranked.append((expected, i, candidate, share))
    ranked.sort(key=lambda r: (r[0], r[1]))
    chosen: list[tuple[int, Candidate]] = []
    for _, i, candidate, share in ranked[:TRIMMED_FINALISTS]:
        for step in TRIM_STEPS:
            trim = trimmed(candidate, 1 - (1 - share) * step)
            if trim != candidate and trim not in (c for _, c in chosen):
                chosen.append((i, trim))
    return chosen


def trim_finalists(terminal: Terminal, evaluator: Evaluator, policy: str,
                   finalists: Sequence[tuple[Candidate, Score, bool]], target: Target,
                   seeds: Sequence[int], lead_hours: int
                   ) -> list[tuple[int, Candidate, Score]]:
    """Return (index of the finalist, trimmed candidate, its score on `seeds`) for every trim
    of `trim_candidates`; `finalists` are (candidate, score on `seeds`, feasible)."""
    trims = trim_candidates(terminal, finalists, target, lead_hours)
    scores = evaluator.score_many(terminal, policy, [c for _, c in trims], seeds) if trims else []
    return [(i, c, s) for (i, c), s in zip(trims, scores, strict=True)]
