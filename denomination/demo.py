"""`cashmix-demo`: print a few quotes for a demo CZK terminal, to see the optimiser at work."""

from __future__ import annotations

import argparse

from denomination.cassettes import Cassette
from denomination.catalogue import default_catalogue
from denomination.errors import NotDispensable
from denomination.legacy import bank_optimal
from denomination.optimiser import plan_mix
from denomination.plan import Plan

DEMO_CASSETTES = (
    Cassette("A", "CZK", 10000, 200, capacity=2000),
    Cassette("B", "CZK", 20000, 300, capacity=2000),
    Cassette("C", "CZK", 50000, 400, capacity=2000),
    Cassette("D", "CZK", 100000, 400, capacity=2000),
    Cassette("E", "CZK", 200000, 300, capacity=2000),
    Cassette("F", "CZK", 500000, 60, capacity=1000, low_threshold=80),
)
DEMO_REQUESTS = (
    (200000, None),
    (200000, {"kind": "small"}),
    (200000, {"kind": "mixed"}),
    (200000, {"kind": "counts", "counts": {"50000": 3, "20000": 2, "10000": 1}}),
    (500000, {"kind": "bounds", "exclude": [200000, 500000], "min": {"10000": 2}}),
    (1000000, {"kind": "counts", "counts": {"10000": 100}}),
    (150000, {"kind": "options"}),
    (5000000, None),
    (25000000, None),
    (15050, None),
)


def describe(plan: Plan, fmt) -> str:
    """Return '3 x 500 CZK + 2 x 200 CZK' for a plan."""
    return " + ".join(f"{n} x {fmt(d)}" for d, n in plan.by_denomination.items())


def main(argv: list[str] | None = None) -> int:
    """Print the demo quotes; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="cashmix-demo", description=__doc__)
    parser.add_argument("--max-notes", type=int, default=40, help="per-dispense note limit")
    args = parser.parse_args(argv)
    fmt = default_catalogue().currency("CZK").format
    print("Cassettes: " + ", ".join(f"{c.id}={c.count} x {fmt(c.denomination)}"
                                    for c in DEMO_CASSETTES))
    for amount, preference in DEMO_REQUESTS:
        wish = (preference or {"kind": "fewest"})
        print(f"\n{fmt(amount)}, wish {wish}")
        try:
            plan = plan_mix(amount, "CZK", DEMO_CASSETTES, preference, max_notes=args.max_notes)
        except NotDispensable as error:
            below, above = error.nearest
            print(f"  not dispensable ({', '.join(r.code for r in error.reasons)}): "
                  f"{error.message}; nearest: {below and fmt(below)} / {above and fmt(above)}")
            continue
        print(f"  cashmix:      {describe(plan, fmt)}  (wish met: {plan.exact})")
        for reason in plan.reasons:
            print(f"    why not: {reason.code}: {reason.message}")
        for option in plan.options:
            print(f"    option {option.label:12s} {describe(option, fmt)}")
        legacy = bank_optimal(amount, "CZK", DEMO_CASSETTES, max_notes=args.max_notes)
        print(f"  bank-optimal: {describe(legacy, fmt)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
