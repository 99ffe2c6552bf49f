"""Scoring a load on several demand seeds: the figures per seed, their mean and spread.

A candidate (load and low thresholds per cassette) is simulated in operation on each seed's
stream under one policy; the seeds run in parallel processes when `jobs` > 1, each process
drawing a seed's stream once and keeping it. Every answer is deterministic: a seed's stream
and the policy are.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from statistics import fmean, pstdev

from sim.traffic.demand import Withdrawal, generate_demand
from sim.traffic.metrics import summarise
from sim.traffic.policies import Policy
from sim.traffic.profile import DemandProfile
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import PolicyRun, simulate
from sim.traffic.terminal import Terminal
from sim.traffic.wish_failures import WishFailures, classify_failures


@dataclass(frozen=True, slots=True)
class Candidate:
    """A load to score: notes and low threshold per cassette, in the terminal's cassette order."""

    load: tuple[tuple[str, int], ...]
    thresholds: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, terminal: Terminal) -> Candidate:
        """Return the terminal's own configured load and thresholds."""
        return cls(tuple((c.id, c.count) for c in terminal.cassettes),
                   tuple((c.id, c.low_threshold) for c in terminal.cassettes))

    def apply(self, terminal: Terminal) -> Terminal:
        """Return `terminal` loaded with this candidate."""
        return terminal.with_load(dict(self.load), dict(self.thresholds))

    def value(self, terminal: Terminal) -> int:
        """Return the value loaded (minor units)."""
        load = dict(self.load)
        return sum(c.denomination * load[c.id] for c in terminal.cassettes)

    def cycle_value(self, terminal: Terminal) -> int:
        """Return the value of the cycle: the load less the low thresholds (minor units), what
        a visit restores."""
        load, low = dict(self.load), dict(self.thresholds)
        return sum(c.denomination * (load[c.id] - low[c.id]) for c in terminal.cassettes)


@dataclass(frozen=True, slots=True)
class SeedFigures:
    """One seed's run: visits a month, mean cash held (minor units), shares of withdrawals
    refused and met, and (when asked for) why the unmet wishes failed."""

    seed: int
    visits_per_month: float
    mean_cash: int
    refused: float
    met: float
    failures: WishFailures | None = None


def _mean_of(figure: str, doc: str) -> property:
    """Return a read-only property: the mean over a Score's seeds of a SeedFigures field."""
    return property(lambda score: fmean(getattr(s, figure) for s in score.seeds), doc=doc)


@dataclass(frozen=True, slots=True)
class Score:
    """A candidate's figures over seeds: per seed, and their means."""

    seeds: tuple[SeedFigures, ...]

    visits = _mean_of("visits_per_month", "The mean visits a month.")
    mean_cash = _mean_of("mean_cash", "The mean over seeds of the mean cash held (minor units).")
    refused = _mean_of("refused", "The mean refused share.")
    met = _mean_of("met", "The mean share of wishes met exactly.")

    def spread(self, figure: str) -> tuple[float, float, float]:
        """Return (min, max, population sd) over seeds of `figure` (a SeedFigures field)."""
        values = [getattr(s, figure) for s in self.seeds]
        return min(values), max(values), pstdev(values)

    def failures(self) -> WishFailures:
        """Return the wish failures summed over seeds (zero when none were classified)."""
        total = WishFailures()
        for s in self.seeds:
            if s.failures is not None:
                total = total + s.failures
        return total


@dataclass(frozen=True, slots=True)
class Setting:
    """What every run shares: the demand (a profile drawn per seed, or `recorded` streams, one
    per seed number from 0), days, the visits rule and the reserve of `cashmix_reserve`.

    `first_day` is when recorded streams start (a profile's streams start at its own date).
    """

    profile: DemandProfile | None
    days: int
    replenishment: Replenishment
    reserve: tuple[tuple[int, int], ...] = ()
    recorded: tuple[tuple[Withdrawal, ...], ...] = ()
    first_day: date | None = None

    @property
    def start(self) -> datetime:
        """Return midnight of the first day."""
        day = self.first_day or self.profile.start
        return datetime.combine(day, datetime.min.time())

    @property
    def common(self) -> tuple[int, ...]:
        """Return the common amounts whose payability is sampled (none for recorded demand)."""
        return self.profile.common_amounts() if self.profile is not None else ()


class Evaluator:
    """Scores candidates on seeds, in `jobs` processes (1: in this process, same answers).

    Use as a context manager so the worker processes end with it.
    """

    def __init__(self, setting: Setting, *, jobs: int = 1):
        self.setting, self.jobs = setting, jobs
        self._pool: Executor | None = None

    def __enter__(self) -> Evaluator:
        if self.jobs > 1:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=context,
                                             initializer=_install, initargs=(self.setting,))
        else:
            _install(self.setting)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def score_many(self, terminal: Terminal, policy: str,
                   candidates: Sequence[Candidate], seeds: Sequence[int], *,
                   classify: bool = False) -> list[Score]:
        """Return each candidate's Score over `seeds`, in order (all runs share the pool)."""
        tasks = [(candidate.apply(terminal), policy, seed, classify)
                 for candidate in candidates for seed in seeds]
        if self._pool is None:
            figures = [_run_task(task) for task in tasks]
        else:
            figures = list(self._pool.map(_run_task, tasks))
        width = len(seeds)
        return [Score(tuple(figures[i * width:(i + 1) * width])) for i in range(len(candidates))]

    def score(self, terminal: Terminal, policy: str, candidate: Candidate,
              seeds: Sequence[int], *, classify: bool = False) -> Score:
        """Return the candidate's Score over `seeds`."""
        return self.score_many(terminal, policy, [candidate], seeds, classify=classify)[0]

    def runs(self, terminal: Terminal, policy: str, seeds: Sequence[int],
             replenishment: Replenishment) -> list[PolicyRun]:
        """Return the whole runs of the terminal's configured load on `seeds` under another
        visits rule (used to measure what a policy gives)."""
        tasks = [(terminal, policy, seed, replenishment) for seed in seeds]
        if self._pool is None:
            return [_whole_run(task) for task in tasks]
        return list(self._pool.map(_whole_run, tasks))


_SETTING: Setting | None = None
_STREAMS: dict[tuple[int, tuple[int, ...], int], tuple[Withdrawal, ...]] = {}


def _install(setting: Setting) -> None:
    global _SETTING
    if setting != _SETTING:
        _STREAMS.clear()
    _SETTING = setting


def stream_for(setting: Setting, terminal: Terminal, seed: int) -> tuple[Withdrawal, ...]:
    """Return the seed's demand stream for the terminal's notes (drawn once per process), or
    the recorded stream of that number."""
    if setting.recorded:
        if not 0 <= seed < len(setting.recorded):
            raise ValueError(f"no recorded stream {seed}; there are {len(setting.recorded)}")
        return setting.recorded[seed]
    key = (seed, terminal.denominations, terminal.note_limit)
    if key not in _STREAMS:
        _STREAMS[key], _ = generate_demand(setting.profile, terminal.denominations,
                                           terminal.note_limit, setting.days, seed)
    return _STREAMS[key]


def simulate_on(setting: Setting, terminal: Terminal, policy: str, seed: int,
                replenishment: Replenishment | None = None,
                progress: Callable[[int], None] | None = None) -> PolicyRun:
    """Return the run of `policy` on the seed's stream, with the setting's visits rule unless
    another is given."""
    return simulate(Policy(policy, setting.reserve), terminal,
                    stream_for(setting, terminal, seed), start=setting.start,
                    days=setting.days, replenishment=replenishment or setting.replenishment,
                    common=setting.common, progress=progress)


def figures_of(run: PolicyRun, terminal: Terminal, seed: int,
               failures: WishFailures | None = None) -> SeedFigures:
    """Return the seed figures of one run."""
    summary = summarise(run, terminal)
    return SeedFigures(seed, summary.visits_per_month, summary.mean_cash, summary.refused,
                       summary.met, failures)


def _run_task(task: tuple[Terminal, str, int, bool]) -> SeedFigures:
    terminal, policy, seed, classify = task
    assert _SETTING is not None, "the evaluator installs its setting first"
    run = simulate_on(_SETTING, terminal, policy, seed)
    stream = stream_for(_SETTING, terminal, seed)
    failures = (classify_failures(run, stream, terminal, policy, _SETTING.reserve) if classify
                else None)
    return figures_of(run, terminal, seed, failures)


def _whole_run(task: tuple[Terminal, str, int, Replenishment]) -> PolicyRun:
    terminal, policy, seed, replenishment = task
    assert _SETTING is not None, "the evaluator installs its setting first"
    return simulate_on(_SETTING, terminal, policy, seed, replenishment)

