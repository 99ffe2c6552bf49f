"""Benchmark: simulated withdrawals per second, per policy, on a busy ATM.

    python bench/traffic.py                       # typical Czech ATM, 300 a day, 30 days
    python bench/traffic.py --per-day 115 --days 7 --terminal config/terminals/demo-czk.toml

The floor (issue 9): 30 days of a busy ATM (about 300 withdrawals a day) over all policies in
under 60 s. Prints each policy's rate (one process), then the whole study's wall time with one
process and with --jobs processes (the operating scenario, as `kiosk-sim traffic` runs it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.traffic.demand import generate_demand
from sim.traffic.policies import POLICY_NAMES, Policy
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.replenishment import Replenishment
from sim.traffic.simulation import simulate
from sim.traffic.study import Study, run_study, study_reserve
from sim.traffic.terminal import read_terminal

ROOT = Path(__file__).resolve().parents[1]
FLOOR_SECONDS = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminal", default=str(ROOT / "config/demand/typical-czk-atm.toml"))
    parser.add_argument("--per-day", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    tree = load_tree(overrides=[f"volume.per_day={args.per_day}"])
    terminal = read_terminal(args.terminal)
    profile = build_profile(tree, terminal.currency)
    study = Study(terminal, profile, args.days, args.seed,
                  replenishment=Replenishment.from_mapping(tree["replenishment"]),
                  reserve=study_reserve(terminal, tree["reserve"]))
    stream, _ = generate_demand(profile, terminal.denominations, terminal.note_limit,
                                args.days, args.seed)
    print(f"{terminal.id}: {len(stream)} withdrawals over {args.days} days "
          f"({len(stream) / args.days:.0f} a day)")
    total = 0.0
    for name in POLICY_NAMES:
        began = time.perf_counter()
        simulate(Policy(name, study.reserve), terminal, stream, start=study.start,
                 days=args.days, replenishment=study.replenishment,
                 common=profile.common_amounts())
        seconds = time.perf_counter() - began
        total += seconds
        print(f"  {name:<18} {len(stream) / seconds:8.0f} withdrawals/s  ({seconds:.1f} s)")
    print(f"all policies, one process: {total:.1f} s "
          f"({len(stream) * len(POLICY_NAMES) / total:.0f} withdrawals/s)")
    began = time.perf_counter()
    run_study(study, jobs=args.jobs, run_out=False)
    wall = time.perf_counter() - began
    verdict = "within" if wall < FLOOR_SECONDS else "OVER"
    print(f"all policies, {args.jobs} processes: {wall:.1f} s wall "
          f"({verdict} the {FLOOR_SECONDS} s floor)")


if __name__ == "__main__":
    main()
