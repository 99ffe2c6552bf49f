"""Benchmark: the cash planner's targets (issue 17) on the typical Czech ATM, out of sample.

    python bench/planner.py                     # --jobs 2, the planner's default seeds
    python bench/planner.py --trials 40 --seeds 1-4 --confirm-seeds 5-16

Prints, each on the test seeds (means, min-max over seeds):
1. Cashmix with a planned load against bank_optimal with the file's load: visits, mean cash,
   refusals no higher, and at least 85 % of wishes met; and the planner's wall time with
   --jobs processes (target: under 2 minutes). Then the same two loads on more fresh seeds
   (--more-test-seeds), and how the refusal difference depends on the month (the in-sample
   line of the per-seed difference on the baseline's refused share, and what it predicts).
2. bank_optimal with a planned load against its file's load, both branches, and which is met:
   at least 20 % less mean cash at no more visits (least cash), or at least 20 % fewer visits
   at no more mean cash (fewest visits, the cash limit bank_optimal's own on the file's load).
3. With 30 % of customers asking for small notes: planned Cashmix at no more visits than
   bank_optimal with the file's load.
4. The health trade (policy cashmix_trade: a near-equivalent mix sparing a low cassette)
   against cashmix, on the file's load and on part 1's planned load: visits bought, wishes
   lost.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from statistics import fmean, linear_regression

from sim.traffic.evaluation import Candidate, Evaluator, Score, Setting
from sim.traffic.plan_run import PlanRun, parse_seeds, run_plan
from sim.traffic.plan_target import Goal
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.replenishment import Replenishment
from sim.traffic.terminal import read_terminal

ROOT = Path(__file__).resolve().parents[1]
TYPICAL = ROOT / "config" / "demand" / "typical-czk-atm.toml"
SMALL_30 = ["preferences.shares.small=0.30", "preferences.shares.fewest=0.45"]
SECONDS_TARGET = 120


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminal", default=str(TYPICAL))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--seeds", default=None, help="train seeds (default: the planner's)")
    parser.add_argument("--confirm-seeds", default=None,
                        help="confirmation seeds (default: the planner's; 'none' for none)")
    parser.add_argument("--test-seeds", default="101-106")
    parser.add_argument("--more-test-seeds", default="107-130",
                        help="more fresh seeds part 1's loads are also judged on")
    parser.add_argument("--only", type=int, choices=(1, 2, 3, 4), action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args()
    from sim.traffic.plan_cli import DEFAULT_CONFIRM, DEFAULT_TRAIN, DEFAULT_TRIALS

    trials = args.trials or DEFAULT_TRIALS
    train, test = parse_seeds(args.seeds or DEFAULT_TRAIN), parse_seeds(args.test_seeds)
    confirm_text = args.confirm_seeds or DEFAULT_CONFIRM
    confirm = () if confirm_text == "none" else parse_seeds(confirm_text)
    terminal = read_terminal(args.terminal)
    parts = args.only or [1, 2, 3, 4]
    print(f"{terminal.id}: train seeds {list(train)}, confirmation seeds {list(confirm)}, "
          f"test seeds {list(test)}, {trials} candidates, --jobs {args.jobs}")
    cashmix_run = None
    if 1 in parts or 4 in parts:
        cashmix_run = run = _plan(terminal, [], "cashmix", (train, confirm), test, trials,
                                  args.jobs)
    if 1 in parts:
        base, planned = run.baseline, run.planned
        print("\n1. Cashmix planned vs bank_optimal on the file's load")
        _rows(run)
        _dominance(base, planned)
        failures = planned.failures()
        print(f"   unmet for want of stock {failures.by_stock:.1%}, whatever the stock "
              f"{failures.by_denominations:.1%} of withdrawals")
        _check(f"planner under {SECONDS_TARGET} s with --jobs {args.jobs}",
               run.seconds < SECONDS_TARGET, f"{run.seconds:.1f} s wall")
        more = parse_seeds(args.more_test_seeds)
        more_base, more_planned = _judge(terminal, run, more, args.jobs)
        print(f"   the same loads on {len(more)} more fresh seeds ({args.more_test_seeds}), "
              "also out of sample:")
        for label, score in (("bank_optimal, file's load", more_base),
                             ("cashmix, planned", more_planned)):
            print(f"   {label:<28} {_line(score)}")
        _dominance(more_base, more_planned)
        _month_effect(run, ((test, base, planned), (more, more_base, more_planned)))
    if 2 in parts:
        print("\n2. bank_optimal planned vs bank_optimal on the file's load")
        met = [_branch(terminal, (train, confirm), test, trials, args.jobs, goal)
               for goal in (Goal.LEAST_CASH, Goal.FEWEST_VISITS)]
        branches = [name for name, ok in zip(("least cash", "fewest visits"), met, strict=True)
                    if ok]
        print(f"   => target met by: {', '.join(branches) or 'neither branch'}")
    if 3 in parts:
        run = _plan(terminal, SMALL_30, "cashmix", (train, confirm), test, trials, args.jobs)
        base, planned = run.baseline, run.planned
        print("\n3. 30 % ask for small notes: Cashmix planned vs bank_optimal on the file's load")
        _rows(run)
        _check("visits no more", planned.visits <= base.visits,
               f"{planned.visits:.2f} vs {base.visits:.2f}")
    if 4 in parts:
        print("\n4. Health trade (cashmix_trade) against cashmix, test seeds")
        _trade(terminal, cashmix_run, test, args.jobs)


def _branch(terminal, seeds, test, trials, jobs, goal: Goal) -> bool:
    """Plan bank_optimal for one branch of target 2, print it; return whether it is met: 20 %
    less mean cash at no more visits (least cash), or 20 % fewer visits at no more mean cash
    (fewest visits, the cash limit bank_optimal's own on the file's load)."""
    run = _plan(terminal, [], "bank_optimal", seeds, test, trials, jobs, goal)
    base, planned = run.baseline, run.planned
    cash_cut = 1 - planned.mean_cash / base.mean_cash
    visits_cut = 1 - planned.visits / base.visits
    if goal == Goal.LEAST_CASH:
        name, cut = "less mean cash at no more visits", cash_cut
        kept = planned.visits <= base.visits
    else:
        name, cut = "fewer visits at no more mean cash", visits_cut
        kept = planned.mean_cash <= base.mean_cash
    print(f"   {goal}:")
    _rows(run)
    ok = cut >= 0.20 and kept
    _check(f">= 20 % {name}", ok,
           f"{cash_cut:.1%} less cash ({_k(planned.mean_cash)} vs {_k(base.mean_cash)}), "
           f"{visits_cut:.1%} fewer visits ({planned.visits:.2f} vs {base.visits:.2f}), "
           f"refusals {planned.refused:.2%} vs {base.refused:.2%}")
    return ok


def _dominance(base: Score, planned: Score) -> None:
    """Print target 1's checks: no more visits, mean cash and refusals, 85 % of wishes met."""
    _check("visits no more", planned.visits <= base.visits,
           f"{planned.visits:.2f} vs {base.visits:.2f}")
    _check("mean cash no more", planned.mean_cash <= base.mean_cash,
           f"{_k(planned.mean_cash)} vs {_k(base.mean_cash)} "
           f"({planned.mean_cash / base.mean_cash - 1:+.1%})")
    _check("refusals no more", planned.refused <= base.refused,
           f"{planned.refused:.2%} vs {base.refused:.2%}")
    _check("wishes met >= 85 %", planned.met >= 0.85, f"{planned.met:.1%}")


def _judge(terminal, run: PlanRun, seeds, jobs) -> tuple[Score, Score]:
    """Return the baseline and the planned load of `run` scored on `seeds`."""
    tree = load_tree()
    setting = Setting(build_profile(tree, terminal.currency), 30,
                      Replenishment.from_mapping(tree["replenishment"]))
    with Evaluator(setting, jobs=jobs) as evaluator:
        return (evaluator.score(terminal, run.plan.baseline_policy, Candidate.of(terminal), seeds),
                evaluator.score(terminal, run.plan.policy, run.plan.chosen.candidate, seeds))


def _month_effect(run: PlanRun, judged) -> None:
    """Print how the planned load's refusals against the baseline's depend on the month: the
    in-sample line of the per-seed difference on the baseline's own refused share, and what
    it predicts for each set of fresh seeds from the baseline's refusals there alone."""
    plan = run.plan
    baseline = {s.seed: s.refused for s in plan.baseline_train.seeds}
    pairs = [(baseline[s.seed], s.refused - baseline[s.seed]) for s in plan.chosen.score.seeds]
    slope, intercept = linear_regression(*zip(*pairs, strict=True))
    busy = fmean(x for x, _ in pairs)
    print(f"   months differ: in sample ({len(pairs)} seeds) bank_optimal refuses "
          f"{busy:.2%}, the planned load {fmean(d for _, d in pairs) * 100:+.2f} points "
          f"against it, {slope:+.2f} points per point the baseline refuses")
    for seeds, base, planned in judged:
        predicted = intercept + slope * base.refused
        print(f"   seeds {seeds[0]}-{seeds[-1]}: bank_optimal refuses {base.refused:.2%}; "
              f"predicted difference {predicted * 100:+.2f} points, measured "
              f"{(planned.refused - base.refused) * 100:+.2f}")


def _trade(terminal, run: PlanRun, test, jobs) -> None:
    tree = load_tree()
    setting = Setting(build_profile(tree, terminal.currency), 30,
                      Replenishment.from_mapping(tree["replenishment"]))
    loads = (("file's load", Candidate.of(terminal)),
             ("cashmix planned load", run.plan.chosen.candidate))
    with Evaluator(setting, jobs=jobs) as evaluator:
        for label, candidate in loads:
            plain, traded = (evaluator.score(terminal, policy, candidate, test)
                             for policy in ("cashmix", "cashmix_trade"))
            print(f"   {label}:")
            print(f"     {'cashmix':<26} {_line(plain)}")
            print(f"     {'cashmix_trade':<26} {_line(traded)}")
            print(f"     visits bought {plain.visits - traded.visits:+.2f} a month, wishes lost "
                  f"{(plain.met - traded.met) * 100:+.1f} points, refusals "
                  f"{(traded.refused - plain.refused) * 100:+.2f} points, mean cash "
                  f"{_k(traded.mean_cash - plain.mean_cash)}")


def _plan(terminal, overrides, policy, seeds, test, trials, jobs,
          goal: Goal = Goal.LEAST_CASH) -> PlanRun:
    train, confirm = seeds
    tree = load_tree(overrides=overrides)
    setting = Setting(build_profile(tree, terminal.currency), 30,
                      Replenishment.from_mapping(tree["replenishment"]))
    began = time.perf_counter()
    with Evaluator(setting, jobs=jobs) as evaluator:
        run = run_plan(terminal, evaluator, policy, goal, train_seeds=train,
                       confirm_seeds=confirm, test_seeds=test, trials=trials)
    seconds = time.perf_counter() - began
    return PlanRun(run.terminal, run.plan, run.test_seeds, run.baseline, run.default,
                   run.planned, seconds)


def _rows(run: PlanRun) -> None:
    load = dict(run.plan.chosen.candidate.load)
    low = dict(run.plan.chosen.candidate.thresholds)
    plan = run.plan
    origin = (f"the trim of finalist {plan.chosen.trimmed_from}"
              if plan.chosen.trimmed_from is not None else f"candidate {plan.chosen.number}")
    limit = (f" for at most {plan.target.max_visits:.2f}"
             if plan.target.max_visits is not None else "")
    print("   planned load / low: " + ", ".join(f"{c.id} {load[c.id]}/{low[c.id]}"
                                                for c in run.terminal.cassettes)
          + f" ({origin}; in sample, {len(plan.in_sample_seeds)} seeds: "
            f"{plan.chosen.score.visits:.2f} visits{limit}, met the target "
            f"{plan.chosen.feasible})")
    rows = {"bank_optimal, file's load": run.baseline,
            f"{run.plan.policy}, file's load": run.default,
            f"{run.plan.policy}, planned": run.planned}
    for label, score in rows.items():
        print(f"   {label:<28} {_line(score)}")


def _line(s: Score) -> str:
    v, c, r, m = (s.spread(f) for f in ("visits_per_month", "mean_cash", "refused", "met"))
    return (f"visits {s.visits:5.2f} ({v[0]:.0f}-{v[1]:.0f})  cash {_k(s.mean_cash)} "
            f"({_k(c[0])}-{_k(c[1])}, sd {_k(c[2])})  refused {s.refused:.2%} "
            f"({r[0]:.2%}-{r[1]:.2%})  met {s.met:.1%} ({m[0]:.1%}-{m[1]:.1%})")


def _k(minor: float) -> str:
    return f"{minor / 100_000:,.0f}k"


def _check(name: str, ok: bool, detail: str) -> None:
    print(f"   [{'met' if ok else 'NOT MET'}] {name}: {detail}")


if __name__ == "__main__":
    main()
