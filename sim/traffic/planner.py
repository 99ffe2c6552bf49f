"""The cash planner: the load and low thresholds per cassette that meet a target at least cost.

Method, in four steps:

1. **Target.** Least mean cash held for at most N visits a month, or fewest visits for at most
   C mean cash, with a refusal rate no higher than R. Without options: what bank_optimal does
   on the file's own load (its visits and refusals), at less cash.
2. **Analytic start.** The policy serves the train streams from an ample stock with no visits;
   from the hourly levels comes each denomination's use over any window. The visit interval
   follows from the target; each cassette gets its use over the interval less the lead time
   (a high quantile for small notes, which cost little cash to over-load; near the median for
   the large ones, which should be the ones calling the visit) plus a low threshold that covers
   the lead time at a high quantile.
3. **Search.** Optuna's TPE sampler (fixed seed, constraints on visits and refusals) over the
   whole-note load and threshold of every cassette around the start and the file's own load
   (tried first: the start scaled up and down, the file's load, the file's load scaled to the
   target's visits, the start with the smaller notes' thresholds as in the file, so the
   large notes call the visits, and the safety ladder: the start with the largest notes'
   thresholds, and their loads by as many notes, covering the lead time at higher quantiles
   (`SAFETY_QUANTILES`), so the same visits come with more stock in hand when the crew is
   called), within capacity; each candidate is simulated in operation on the train seeds.
4. **Confirmation.** The analytic start, its safety ladder and the cheapest other feasible
   candidates of the search are scored again on more seeds (the confirmation seeds), and so is
   the baseline: every candidate and the baseline see the same demand (common
   random numbers), so their per-seed differences are paired. The target is resolved again on
   all these seeds; when its refusal limit (or visit limit) is the baseline's, a finalist must
   stay under it by a margin (`MARGIN_Z` standard errors of the paired difference).
5. **Trim.** The ladder keeps the start's visits, somewhat under the limit; the cheapest
   feasible finalists are scored again with their cycles (load less threshold) trimmed toward
   the visit limit, thresholds kept (`plan_trim`), on the same seeds. The cheapest load
   meeting the target among the finalists and their trims is chosen, then judged on fresh test
   seeds: only those figures are out of sample.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.traffic.evaluation import Candidate, Evaluator, Score
from sim.traffic.plan_start import (
    SAFETY_QUANTILES,
    analytic_start,
    large_notes_call,
    measure_use,
    proportional,
)
from sim.traffic.plan_target import Goal, Target, resolve_target
from sim.traffic.plan_trim import trim_finalists
from sim.traffic.terminal import Terminal

BASELINE_POLICY = "bank_optimal"
#: Candidates scored together (two per batch keeps the answer the same for any --jobs).
BATCH = 2
#: Search range around the analytic start, as factors of its load and threshold.
LOAD_RANGE, THRESHOLD_RANGE = (0.7, 1.5), 2.0
#: The start scaled by these factors is also tried first (the cash-for-visits direction).
START_SCALES = (1.0, 0.9, 1.1)
#: Candidates scored again on the confirmation seeds: the start, its ladder and the cheapest
#: other feasible ones (3 with the 5 steps of the ladder: at visit limits far from the file's
#: the cheapest is often the start scaled down, not a step of its ladder).
FINALISTS = 9
#: Standard errors of the paired per-seed refusal and visits differences kept as a margin
#: below the baseline's (when the limit is the baseline's): one-sided, about 84 % confidence.
MARGIN_Z = 1.0


@dataclass(frozen=True, slots=True)
class Trial:
    """One searched candidate and its train score, or a finalist's trim (`trimmed_from`: the
    finalist's number) and its score on the in-sample seeds."""

    number: int
    candidate: Candidate
    score: Score
    feasible: bool
    trimmed_from: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The planner's answer: the resolved target, the baseline it came from (bank_optimal, or
    another policy, on the file's load, train seeds), the analytic start, every trial, the
    chosen candidate and its train score (in sample), and the start's safety ladder.

    With confirmation seeds, `confirmed` holds the finalists scored on the train and the
    confirmation seeds together, `trimmed` the trims of the cheapest of them (step 5 of the
    module's method) on the same seeds, `chosen` is one of either, and `target` and
    `baseline_train` are on those seeds too (`trials` keep their search scores, on the train
    seeds alone)."""

    policy: str
    target: Target
    baseline_train: Score
    start: Candidate
    trials: tuple[Trial, ...]
    chosen: Trial
    train_seeds: tuple[int, ...]
    baseline_policy: str = BASELINE_POLICY
    confirm_seeds: tuple[int, ...] = ()
    confirmed: tuple[Trial, ...] = ()
    ladder: tuple[Candidate, ...] = ()
    trimmed: tuple[Trial, ...] = ()

    @property
    def in_sample_seeds(self) -> tuple[int, ...]:
        """Return every seed the chosen candidate was scored on (the search's and the
        confirmation's)."""
        return self.train_seeds + self.confirm_seeds

    @property
    def any_feasible(self) -> bool:
        """Return True when some candidate met the target on the train seeds."""
        return any(t.feasible for t in self.trials)


def plan_load(terminal: Terminal, evaluator: Evaluator, policy: str, goal: Goal, *,
              train_seeds: Sequence[int], trials: int = 30, seed: int = 0,
              max_visits: float | None = None, max_cash: float | None = None,
              max_refused: float | None = None, baseline_policy: str = BASELINE_POLICY,
              confirm_seeds: Sequence[int] = (), finalists: int = FINALISTS,
              progress: Callable[[int, int], None] | None = None) -> Plan:
    """Return the planned load for `terminal` under `policy` (see the module's method).

    `trials` candidates are scored on `train_seeds` (the analytic start is the first); `seed`
    seeds the sampler, so the same call gives the same plan. `progress(done, total)` is called
    after each batch. Limits are in visits a month, minor units and shares of withdrawals;
    those not given come from `baseline_policy` on the file's load (bank_optimal by default).
    With `confirm_seeds`, the `finalists` best candidates are scored on them too, the
    cheapest feasible ones trimmed, and the choice is made on all the seeds (steps 4 and 5 of
    the module's method).
    """
    import optuna

    seeds = tuple(train_seeds)
    baseline = evaluator.score(terminal, baseline_policy, Candidate.of(terminal), seeds)
    target = resolve_target(goal, baseline, max_visits=max_visits, max_cash=max_cash,
                            max_refused=max_refused)
    use = measure_use(terminal, evaluator, policy, seeds)
    replenishment = evaluator.setting.replenishment
    start = analytic_start(terminal, use, target, replenishment)
    ladder = [analytic_start(terminal, use, target, replenishment, safety=q)
              for q in SAFETY_QUANTILES]
    anchors = [start, Candidate.of(terminal)]
    if target.max_visits and baseline.visits and target.max_visits != baseline.visits:
        anchors.append(proportional(terminal, baseline.visits / target.max_visits))
    anchors += [large_notes_call(terminal, start), *ladder]
    space = search_space(terminal, anchors)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        # multivariate TPE is experimental in Optuna 3-4, constraints_func deprecated in 5
        # (Trial.set_constraint is 5 only): both work the same in each
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", FutureWarning)
        sampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=max(4, trials // 5), multivariate=True,
            constraints_func=_constraints)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        for factor in START_SCALES:
            study.enqueue_trial(_params(scaled(start, factor, space)))
        for anchor in anchors[1:]:
            study.enqueue_trial(_params(anchor))
        done: list[Trial] = []
        while len(done) < trials:
            batch = [study.ask() for _ in range(min(BATCH, trials - len(done)))]
            candidates = [_candidate(terminal, t, space) for t in batch]
            scores = evaluator.score_many(terminal, policy, candidates, seeds)
            for asked, candidate, score in zip(batch, candidates, scores, strict=True):
                asked.set_user_attr("constraints", list(target.violations(score)))
                study.tell(asked, target.objective(score))
                done.append(Trial(asked.number, candidate, score, target.feasible(score)))
            if progress is not None:
                progress(len(done), trials)
    confirm = tuple(confirm_seeds)
    if not confirm:
        return Plan(policy, target, baseline, start, tuple(done), choose(done, target), seeds,
                    baseline_policy, ladder=tuple(ladder))
    overlap = set(confirm) & set(seeds)
    if overlap:
        raise ValueError(f"confirmation seeds must be new; also in train: {sorted(overlap)}")
    best = _finalists(done, target, finalists, ladder)
    extra = evaluator.score_many(terminal, baseline_policy, [Candidate.of(terminal)], confirm)
    pooled_baseline = Score(baseline.seeds + extra[0].seeds)
    pooled_target = resolve_target(goal, pooled_baseline, max_visits=max_visits,
                                   max_cash=max_cash, max_refused=max_refused,
                                   margin_z=MARGIN_Z)
    scores = evaluator.score_many(terminal, policy, [t.candidate for t in best], confirm)
    confirmed = tuple(
        Trial(t.number, t.candidate, pooled, pooled_target.feasible(pooled))
        for t, more in zip(best, scores, strict=True)
        for pooled in [Score(t.score.seeds + more.seeds)])
    lead = replenishment.lead_hours if replenishment.on_low else 0
    numbers = itertools.count(len(done))
    trimmed = tuple(
        Trial(next(numbers), candidate, score, pooled_target.feasible(score),
              trimmed_from=confirmed[i].number)
        for i, candidate, score in trim_finalists(
            terminal, evaluator, policy, [(t.candidate, t.score, t.feasible) for t in confirmed],
            pooled_target, seeds + confirm, lead))
    return Plan(policy, pooled_target, pooled_baseline, start, tuple(done),
                choose(confirmed + trimmed, pooled_target), seeds, baseline_policy, confirm,
                confirmed, tuple(ladder), trimmed)


def choose(trials: Sequence[Trial], target: Target) -> Trial:
    """Return the best feasible trial, or the one closest to feasible when none is."""
    feasible = [t for t in trials if t.feasible]
    if feasible:
        return min(feasible, key=lambda t: (target.objective(t.score), t.number))
    return min(trials, key=lambda t: (_shortfall(t, target), t.number))


def _finalists(trials: Sequence[Trial], target: Target, count: int,
               ladder: Sequence[Candidate]) -> list[Trial]:
    """Return `count` trials to confirm: the analytic start (the first trial), its safety
    ladder (nested: each step holds more stock at the same visits, so one of them meets a
    refusal margin at the least extra cash), then the cheapest other feasible ones, topped up
    with those closest to feasible.

    The search's cheapest feasible candidates sit on the edge of the limits on the train
    seeds, and the confirmation rejects most of them; the ladder keeps a way back from it."""
    start, rest = trials[0], trials[1:]
    steps = set(ladder) - {start.candidate}
    chosen = [start, *(t for t in rest if t.candidate in steps)][:count]
    ranked = sorted((t for t in rest if t not in chosen),
                    key=lambda t: (_shortfall(t, target), target.objective(t.score), t.number))
    return chosen + ranked[:count - len(chosen)]


def _shortfall(trial: Trial, target: Target) -> float:
    """Return how far the trial misses the target's limits (0 when it meets them all)."""
    return 0.0 if trial.feasible else sum(max(0.0, v) for v in target.violations(trial.score))


@dataclass(frozen=True, slots=True)
class Bounds:
    """Search range of one cassette: load and threshold, whole notes, inclusive."""

    load: tuple[int, int]
    threshold: tuple[int, int]


def search_space(terminal: Terminal, anchors: Sequence[Candidate]) -> dict[str, Bounds]:
    """Return cassette id -> its search range, spanning every anchor (the analytic start, the
    file's own load...) with a margin, within capacity."""
    space = {}
    for cassette in terminal.cassettes:
        centres = [dict(a.load)[cassette.id] for a in anchors]
        lows = [dict(a.thresholds)[cassette.id] for a in anchors]
        capacity = cassette.capacity or max(cassette.count, 2 * max(centres))
        low = max(1, math.floor(LOAD_RANGE[0] * min(centres)))
        high = min(capacity, math.ceil(LOAD_RANGE[1] * max(centres)) + terminal.note_limit)
        space[cassette.id] = Bounds(
            (min(low, high), max(high, *centres)),
            (0, max(terminal.note_limit, math.ceil(THRESHOLD_RANGE * max(lows)))))
    return space


def scaled(candidate: Candidate, factor: float, space: dict[str, Bounds]) -> Candidate:
    """Return the candidate with every load and threshold times `factor`, within the space."""
    def clip(value: float, bounds: tuple[int, int]) -> int:
        return max(bounds[0], min(bounds[1], round(value)))
    load = tuple((cid, clip(n * factor, space[cid].load)) for cid, n in candidate.load)
    notes = dict(load)
    return Candidate(load, tuple((cid, min(clip(n * factor, space[cid].threshold),
                                           notes[cid] - 1))
                                 for cid, n in candidate.thresholds))


def _constraints(frozen) -> list[float]:
    return frozen.user_attrs["constraints"]


def _params(candidate: Candidate) -> dict[str, int]:
    return ({f"load_{cid}": n for cid, n in candidate.load}
            | {f"low_{cid}": n for cid, n in candidate.thresholds})


def _candidate(terminal: Terminal, trial, space: dict[str, Bounds]) -> Candidate:
    load, thresholds = [], []
    for cassette in terminal.cassettes:
        bounds = space[cassette.id]
        notes = trial.suggest_int(f"load_{cassette.id}", *bounds.load)
        low = trial.suggest_int(f"low_{cassette.id}", *bounds.threshold)
        load.append((cassette.id, notes))
        thresholds.append((cassette.id, min(low, notes - 1)))
    return Candidate(tuple(load), tuple(thresholds))
