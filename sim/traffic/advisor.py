"""The loading advisor: how many notes to load in each cassette for a replenishment interval.

A search over the simulator, on a training stream drawn with another seed than the one the
advice is judged on: load every cassette to MEASURE_SCALE times its configured load (within
capacity, so the mix keeps the shape it has with this terminal's notes) and measure what each
gives per interval under the policy; load the NEED_QUANTILE of those needs plus a margin and
the low threshold; then, while a cassette still calls an early visit on the training stream,
raise its load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil

from sim.traffic.demand import generate_demand
from sim.traffic.policies import Policy
from sim.traffic.profile import DemandProfile
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import simulate
from sim.traffic.terminal import Terminal

#: The training stream's seed is the study's seed plus this, so advice is judged on new demand.
TRAINING_SEED_OFFSET = 10_007
MIN_TRAINING_DAYS = 28
MEASURE_SCALE = 3
NEED_QUANTILE = 0.9


@dataclass(frozen=True, slots=True)
class Advice:
    """A load (cassette id -> notes) for `interval_days`, the per-interval need (the
    NEED_QUANTILE over the training stream's intervals, cassette id -> notes), how many search
    rounds it took, and the cassettes whose capacity binds."""

    interval_days: int
    load: tuple[tuple[str, int], ...]
    need: tuple[tuple[str, int], ...]
    rounds: int
    capped: tuple[str, ...]


def advise_load(terminal: Terminal, profile: DemandProfile, interval_days: int, seed: int, *,
                policy: str = "cashmix", margin: float = 0.10, lead_hours: int = 24,
                max_rounds: int = 6, step: float = 0.15) -> Advice:
    """Return the advised load for visits every `interval_days` under `policy`.

    `margin` is added to the per-interval need; each search round raises a cassette
    that called an early visit by `step`. Loads never exceed a cassette's capacity (`capped`
    names the cassettes where capacity binds: there the interval cannot be covered).
    """
    days = max(MIN_TRAINING_DAYS, 4 * interval_days)
    stream, _ = generate_demand(profile, terminal.denominations, terminal.note_limit, days,
                                seed + TRAINING_SEED_OFFSET)
    start = datetime.combine(profile.start, datetime.min.time())
    common = profile.common_amounts()
    capacity = {c.id: c.capacity or c.count for c in terminal.cassettes}
    ample = {c.id: min(capacity[c.id], MEASURE_SCALE * c.count) for c in terminal.cassettes}
    measured = simulate(Policy(policy), terminal.with_load(ample), stream, start=start, days=days,
                        replenishment=Replenishment(interval_days, on_low=False),
                        common=common)
    given = {c.id: sorted(ample[c.id] - v.found[i] for v in measured.visits)
             for i, c in enumerate(terminal.cassettes)}
    need = {cid: amounts[min(len(amounts) - 1, int(NEED_QUANTILE * len(amounts)))]
            if amounts else 0 for cid, amounts in given.items()}
    load = {c.id: min(capacity[c.id], ceil(need[c.id] * (1 + margin)) + c.low_threshold)
            for c in terminal.cassettes}
    rule = Replenishment(interval_days, on_low=True, lead_hours=lead_hours)
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007  (the count is reported)
        trial = simulate(Policy(policy), terminal.with_load(load), stream, start=start,
                         days=days, replenishment=rule, common=common)
        short = _callers(trial, terminal, load)
        raisable = [cid for cid in short if load[cid] < capacity[cid]]
        if not raisable:
            break
        for cid in raisable:
            load[cid] = min(capacity[cid], ceil(load[cid] * (1 + step)))
    capped = tuple(cid for cid, n in load.items() if n >= capacity[cid])
    return Advice(interval_days, tuple(load.items()), tuple(need.items()), rounds, capped)


def _callers(run, terminal: Terminal, load: dict[str, int]) -> set[str]:
    """Cassettes at or below their low threshold when a low-stock visit arrived."""
    callers = set()
    for visit in run.visits:
        if visit.reason != "low":
            continue
        for cassette, found in zip(terminal.cassettes, visit.found, strict=True):
            if found <= cassette.low_threshold < load[cassette.id]:
                callers.add(cassette.id)
    return callers
