"""`kiosk-sim plan`: plan a terminal's load and low thresholds, and write planned.toml.

    kiosk-sim plan --terminal config/demand/typical-czk-atm.toml --out plan/ --jobs 2
    kiosk-sim plan --terminal FILE --out DIR --target fewest-visits --max-cash 900000
    kiosk-sim plan --terminal FILE --out DIR --policy bank_optimal --frontier 5,7,9,12

Writes DIR/planned.toml (the input file with planned counts and low thresholds, every other
byte kept), report.md, plan.json and PNG plots. Exit status 0, or 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from denomination import default_catalogue, minor_units
from denomination.errors import CashmixError
from sim.traffic.cli import bad_input
from sim.traffic.evaluation import Evaluator, Setting
from sim.traffic.frontier import frontier
from sim.traffic.plan_report import write_plan
from sim.traffic.plan_run import parse_seeds, run_plan
from sim.traffic.plan_target import Goal
from sim.traffic.policies import POLICY_NAMES
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.replenishment import Replenishment
from sim.traffic.study import study_reserve
from sim.traffic.terminal import read_terminal

EXIT_OK, EXIT_BAD_INPUT = 0, 2
DEFAULT_TRAIN, DEFAULT_CONFIRM, DEFAULT_TEST = "1-3", "4-15", "101-106"
DEFAULT_TRIALS = 24


def add_plan_command(subparsers) -> None:
    """Add the `plan` subcommand and its arguments to an argparse subparsers object."""
    plan = subparsers.add_parser(
        "plan", help="plan a terminal's load and low thresholds (writes planned.toml)",
        description=__doc__.splitlines()[0])
    plan.add_argument("--terminal", required=True, type=Path, help="terminal TOML file")
    plan.add_argument("--out", type=Path, default=Path("plan"),
                      help="folder for planned.toml and the report (default plan/)")
    plan.add_argument("--jobs", type=int, default=1,
                      help="processes for the simulations (default 1; same results)")
    plan.add_argument("--target", choices=[str(g) for g in Goal], default=str(Goal.LEAST_CASH),
                      help="least mean cash for the visits, or fewest visits for the cash")
    plan.add_argument("--max-visits", type=float,
                      help="visits a month (least-cash; default: bank_optimal's on the file)")
    plan.add_argument("--max-cash", type=float,
                      help="mean cash held, in major units (fewest-visits; default: "
                           "bank_optimal's on the file)")
    plan.add_argument("--max-refusal-rate", type=_rate,
                      help="refused share, 0.02 or 2%% (default: bank_optimal's on the file)")
    plan.add_argument("--policy", choices=POLICY_NAMES, default="cashmix",
                      help="dispensing policy to plan for (default cashmix)")
    plan.add_argument("--seeds", default=DEFAULT_TRAIN,
                      help=f"train seeds, e.g. 1-3 or 1,4,9 (default {DEFAULT_TRAIN})")
    plan.add_argument("--confirm-seeds", default=DEFAULT_CONFIRM,
                      help="seeds the search's best candidates are scored on again before the "
                           f"choice (default {DEFAULT_CONFIRM}; 'none' for none)")
    plan.add_argument("--test-seeds", default=DEFAULT_TEST,
                      help=f"fresh seeds the plan is judged on (default {DEFAULT_TEST})")
    plan.add_argument("--trials", type=int, default=DEFAULT_TRIALS,
                      help=f"candidates searched (default {DEFAULT_TRIALS})")
    plan.add_argument("--sampler-seed", type=int, default=0, help="the search's seed (default 0)")
    plan.add_argument("--days", type=int, default=30, help="days per seed (default 30)")
    plan.add_argument("--frontier", default="",
                      help="also plan bank_optimal and the policy for these visits a month, "
                           "e.g. 5,7,9,12, and write the frontier (takes longer)")
    plan.add_argument("--set", dest="overrides", action="append", default=[],
                      metavar="KEY=VALUE", help="override a profile or assumption value "
                                                "(as kiosk-sim traffic)")
    plan.add_argument("--profile", type=Path, help="another demand profile TOML")
    plan.add_argument("--assumptions", type=Path, help="another traffic.toml")
    plan.add_argument("--no-plots", action="store_true", help="no PNG plots")
    plan.add_argument("--quiet", action="store_true", help="no progress bar")


def run_plan_command(args: argparse.Namespace) -> int:
    """Run the `plan` subcommand from parsed arguments; return the exit status."""
    try:
        tree = load_tree(args.profile, args.assumptions, args.overrides)
        source = args.terminal.read_text()
        terminal = read_terminal(args.terminal)
        profile = build_profile(tree, terminal.currency)
        train, test = parse_seeds(args.seeds), parse_seeds(args.test_seeds)
        confirm = () if args.confirm_seeds == "none" else parse_seeds(args.confirm_seeds)
        levels = [float(v) for v in args.frontier.split(",") if v.strip()]
        max_cash = None
        if args.max_cash is not None:
            exponent = default_catalogue().currency(terminal.currency).exponent
            max_cash = minor_units(str(args.max_cash).removesuffix(".0"), exponent)
        if args.days < 1 or args.trials < 1 or (set(train) | set(confirm)) & set(test) or (
                set(train) & set(confirm)):
            raise ValueError("days and trials must be >= 1, the confirmation seeds new and the "
                             "test seeds fresh")
    except (CashmixError, OSError, KeyError, ValueError) as error:
        return bad_input("plan", error)
    setting = Setting(profile, args.days, Replenishment.from_mapping(tree["replenishment"]),
                      study_reserve(terminal, tree["reserve"]))
    began = time.perf_counter()
    with Evaluator(setting, jobs=args.jobs) as evaluator, _Bar(args.quiet) as bar:
        run = run_plan(terminal, evaluator, args.policy, Goal(args.target), train_seeds=train,
                       test_seeds=test, trials=args.trials, seed=args.sampler_seed,
                       max_visits=args.max_visits, max_cash=max_cash,
                       max_refused=args.max_refusal_rate, confirm_seeds=confirm,
                       progress=bar.step(f"{terminal.id}: {args.policy}"))
        run = replace(run, seconds=time.perf_counter() - began)
        points = []
        if levels:
            policies = list(dict.fromkeys(("bank_optimal", args.policy)))
            points = frontier(terminal, evaluator, policies, levels, train_seeds=train,
                              confirm_seeds=confirm, test_seeds=test, trials=args.trials,
                              seed=args.sampler_seed,
                              progress=bar.say)
    try:
        paths = write_plan(run, source, args.out, frontier=points, plots=not args.no_plots)
    except CashmixError as error:
        print(f"kiosk-sim plan: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print((args.out / "report.md").read_text().split("## Why wishes")[0].rstrip())
    print(f"\nplanned terminal file: {paths['planned.toml']}\nreport: {paths['report.md']}")
    return EXIT_OK


def _rate(text: str) -> float:
    value = float(text.removesuffix("%")) / (100 if text.endswith("%") else 1)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share between 0 and 1 (or 0% and 100%)")
    return value


class _Bar:
    """A rich progress bar over the search's candidates (nothing when quiet)."""

    def __init__(self, quiet: bool):
        self.quiet, self.progress, self.task = quiet, None, None

    def __enter__(self) -> _Bar:
        if not self.quiet:
            from rich.progress import Progress

            self.progress = Progress(transient=False)
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def step(self, label: str):
        """Return a progress(done, total) callback for one search."""
        def advance(done: int, total: int) -> None:
            if self.progress is None:
                return
            if self.task is None:
                self.task = self.progress.add_task(f"{label}: candidates", total=total)
            self.progress.update(self.task, completed=done, total=total)
        return advance

    def say(self, text: str) -> None:
        """Print a line above the bar (or nothing when quiet)."""
        if self.progress is not None:
            self.progress.console.print(text)
