"""A policy study: one demand stream, every policy, in operation and in a run-out."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Any

from sim.traffic.demand import Day, Withdrawal, generate_demand
from sim.traffic.policies import POLICY_NAMES, Policy
from sim.traffic.profile import DemandProfile
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import PolicyRun, simulate
from sim.traffic.terminal import Terminal

OPERATING, RUN_OUT = "operating", "run_out"


@dataclass(frozen=True, slots=True)
class Study:
    """What to simulate: the terminal, the demand, how long, which policies, the visits rule
    and the reserve of the cashmix_reserve policy (denomination -> notes)."""

    terminal: Terminal
    profile: DemandProfile
    days: int
    seed: int
    policies: tuple[str, ...] = POLICY_NAMES
    replenishment: Replenishment = Replenishment()
    reserve: tuple[tuple[int, int], ...] = ()

    @property
    def start(self) -> datetime:
        """Return midnight of the first simulated day (local time)."""
        return datetime.combine(self.profile.start, datetime.min.time())


@dataclass(frozen=True, slots=True)
class StudyResult:
    """The stream every policy was fed, the days' levels, and each scenario's runs by policy:
    `operating` with the replenishment rule, `run_out` with no visits (stops once a common
    amount cannot be paid)."""

    study: Study
    stream: tuple[Withdrawal, ...]
    days: tuple[Day, ...]
    operating: Mapping[str, PolicyRun]
    run_out: Mapping[str, PolicyRun]


def study_reserve(terminal: Terminal, settings: Mapping[str, Any]) -> tuple[tuple[int, int], ...]:
    """Return the terminal's own reserve, else `share` of the load of its `denominations`
    smallest notes (traffic.toml [reserve])."""
    if terminal.reserve:
        return terminal.reserve
    smallest = terminal.denominations[: int(settings["denominations"])]
    held: dict[int, int] = {}
    for cassette in terminal.cassettes:
        if cassette.denomination in smallest:
            held[cassette.denomination] = held.get(cassette.denomination, 0) + cassette.count
    return tuple((d, ceil(n * float(settings["share"]))) for d, n in sorted(held.items()))


def run_study(study: Study, *, jobs: int = 1, run_out: bool = True,
              progress: Callable[[int], None] | None = None) -> StudyResult:
    """Draw the demand once and serve it with every policy; return every run.

    `jobs` > 1 runs policies in that many processes (same answers, the runs are independent).
    `progress` is called with the number of withdrawals served since its last call.
    """
    stream, days = generate_demand(study.profile, study.terminal.denominations,
                                   study.terminal.note_limit, study.days, study.seed)
    tasks = [(OPERATING, name) for name in study.policies]
    if run_out:
        tasks += [(RUN_OUT, name) for name in study.policies]
    runs: dict[tuple[str, str], PolicyRun] = {}
    if jobs <= 1:
        for scenario, name in tasks:
            counter = _Counter(progress)
            runs[scenario, name] = _run(study, stream, scenario, name, counter)
            counter.finish(len(stream))
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(_run, study, stream, scenario, name, None): (scenario, name)
                       for scenario, name in tasks}
            for future in as_completed(futures):
                runs[futures[future]] = future.result()
                if progress is not None:
                    progress(len(stream))
    return StudyResult(study, stream, days,
                       {n: runs[OPERATING, n] for n in study.policies},
                       {n: runs[RUN_OUT, n] for n in study.policies} if run_out else {})


def _run(study: Study, stream: tuple[Withdrawal, ...], scenario: str, name: str,
         progress: Callable[[int], None] | None) -> PolicyRun:
    rule = study.replenishment if scenario == OPERATING else Replenishment.never()
    return simulate(Policy(name, study.reserve), study.terminal, stream, start=study.start,
                    days=study.days, replenishment=rule, common=study.profile.common_amounts(),
                    stop_when_unpayable=scenario == RUN_OUT, progress=progress)


class _Counter:
    """Turns a run's running count into increments for a progress bar (every 25 withdrawals)."""

    def __init__(self, progress: Callable[[int], None] | None):
        self.progress, self.reported = progress, 0

    def __call__(self, served: int) -> None:
        if self.progress is not None and served - self.reported >= 25:
            self.progress(served - self.reported)
            self.reported = served

    def finish(self, total: int) -> None:
        if self.progress is not None and total > self.reported:
            self.progress(total - self.reported)
