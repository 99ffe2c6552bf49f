"""Benchmark plan_mix on a realistic workload against a naive CP-SAT baseline; prints figures.

Workload: the demo 6-cassette CZK terminal (40-note limit), 2,000 requests with round amounts
and a mix of preference kinds; each plan is taken out of the cassettes (refilled when a
cassette runs low), so the inventory moves as in a real day. The baseline builds the same model
afresh for every request and solves it with CP-SAT's default parameters (all workers,
presolve, default branching), the way a straightforward implementation would. plan_mix keeps
each model structure it builds and reuses it for later requests of the same shape; the
"cold" columns show it building every model afresh too, with its own solver parameters. All
three runs see identical requests and inventories.

    python bench/optimiser.py [--requests 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from collections import defaultdict
from dataclasses import replace

from denomination import Cassette, NotDispensable, plan_mix
from denomination.optimiser.model import clear_templates

CASSETTES = (
    Cassette("A", "CZK", 10000, 1500, capacity=2000, low_threshold=100),
    Cassette("B", "CZK", 20000, 1500, capacity=2000, low_threshold=100),
    Cassette("C", "CZK", 50000, 1500, capacity=2000, low_threshold=100),
    Cassette("D", "CZK", 100000, 1500, capacity=2000, low_threshold=100),
    Cassette("E", "CZK", 200000, 1000, capacity=2000, low_threshold=100),
    Cassette("F", "CZK", 500000, 400, capacity=1000, low_threshold=50),
)
AMOUNTS = [(300, 3), (500, 8), (1000, 14), (1500, 5), (2000, 14), (2500, 4), (3000, 10),
           (4000, 6), (5000, 12), (6000, 3), (7000, 3), (8000, 3), (10000, 8), (12000, 1),
           (15000, 2), (20000, 2), (1700, 1), (3300, 1)]
KINDS = [("fewest", 40), ("small", 15), ("mixed", 15), ("counts", 10), ("bounds", 10),
         ("options", 10)]


def requests(count: int, seed: int):
    """Yield (amount in minor units, preference dict) with a seeded generator."""
    rng = random.Random(seed)
    amounts, amount_weights = zip(*AMOUNTS, strict=True)
    kinds, kind_weights = zip(*KINDS, strict=True)
    for _ in range(count):
        amount = rng.choices(amounts, amount_weights)[0] * 100
        kind = rng.choices(kinds, kind_weights)[0]
        yield amount, _preference(kind, amount, rng)


def _preference(kind: str, amount: int, rng: random.Random) -> dict:
    if kind == "counts":
        left, counts = amount, {}
        for note in (200000, 100000, 50000, 20000, 10000):
            take = rng.randint(0, left // note)
            if take:
                counts[str(note)] = take
                left -= take * note
        if left:
            counts["10000"] = counts.get("10000", 0) + left // 10000
        return {"kind": "counts", "counts": counts}
    if kind == "bounds":
        return {"kind": "bounds", "exclude": [500000, 200000], "min": {"10000": 1}}
    return {"kind": kind}


def run(workload, parameters, *, reuse=True):
    """Return per-kind latencies (ms) and the plans, taking each plan out of the cassettes.

    `reuse=False` forgets the kept model structures before each request (untimed)."""
    inventory = {c.id: c for c in CASSETTES}
    latencies, outcomes = defaultdict(list), []
    for amount, preference in workload:
        if not reuse:
            clear_templates()
        started = time.perf_counter()
        try:
            plan = plan_mix(amount, "CZK", inventory.values(), preference, max_notes=40,
                            solver_parameters=parameters)
        except NotDispensable:
            plan = None
        latencies[preference["kind"]].append((time.perf_counter() - started) * 1000)
        outcomes.append(plan and dict(plan.by_denomination))
        for cid, notes in (plan.by_cassette.items() if plan else ()):
            left = inventory[cid].count - notes
            refill = left <= inventory[cid].low_threshold
            inventory[cid] = replace(inventory[cid], count=inventory[cid].capacity if refill
                                     else left)
    return latencies, outcomes


def figures(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    workload = list(requests(args.requests, args.seed))
    plan_mix(200000, "CZK", CASSETTES)  # load the catalogue and OR-Tools once
    tuned, tuned_plans = run(workload, None)
    tracemalloc.start()  # a separate pass: tracing slows Python code down several times
    run(workload[:200], None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cold, _ = run(workload, None, reuse=False)
    naive, naive_plans = run(workload, {}, reuse=False)
    same = sum(a == b for a, b in zip(tuned_plans, naive_plans, strict=True))
    print(f"{args.requests} requests, seed {args.seed}; peak traced memory (200 requests): "
          f"{peak / 2**20:.1f} MiB; identical answers: {same}/{len(workload)}")
    print(f"{'kind':8s} {'n':>5s} {'median ms':>10s} {'p99 ms':>8s} {'cold med':>9s} "
          f"{'cold p99':>9s} {'naive med':>10s} {'naive p99':>10s} {'speed-up (median)':>18s}")
    for kind in [k for k, _ in KINDS] + ["all"]:
        ours, built, theirs = ([sum(run_.values(), []) if kind == "all" else run_[kind]
                                for run_ in (tuned, cold, naive)])
        (m, p), (cm, cp), (nm, np_) = figures(ours), figures(built), figures(theirs)
        print(f"{kind:8s} {len(ours):5d} {m:10.2f} {p:8.2f} {cm:9.2f} {cp:9.2f} {nm:10.2f} "
              f"{np_:10.2f} {nm / m:17.1f}x")


if __name__ == "__main__":
    main()
