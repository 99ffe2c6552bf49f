"""`kiosk-sim traffic`: simulate a terminal's customers under every policy and write the report.

    kiosk-sim traffic --terminal config/terminals/demo-czk.toml --days 30 --seed 1 \\
        --policies all --out report/
    kiosk-sim traffic --terminal config/demand/typical-czk-atm.toml --set volume.per_day=300

Writes withdrawals.csv, levels.csv, visits.csv, summary.csv and summary.md into --out, and with
matplotlib installed report.md and its plots. Exit status 0, or 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from denomination.errors import CashmixError
from sim.traffic.export import run_out_table, summary_table, write_csvs
from sim.traffic.metrics import summarise
from sim.traffic.policies import POLICY_NAMES
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.replenishment import Replenishment
from sim.traffic.study import Study, StudyResult, run_study, study_reserve
from sim.traffic.terminal import read_terminal

EXIT_OK, EXIT_BAD_INPUT = 0, 2
DEFAULT_TERMINAL = "config/terminals/demo-czk.toml"


def add_traffic_command(subparsers) -> None:
    """Add the `traffic` subcommand and its arguments to an argparse subparsers object."""
    traffic = subparsers.add_parser(
        "traffic", help="simulate customers under every dispensing policy and write a report",
        description=__doc__.splitlines()[0])
    traffic.add_argument("--terminal", default=DEFAULT_TERMINAL,
                         help=f"terminal TOML file (default {DEFAULT_TERMINAL})")
    traffic.add_argument("--days", type=int, default=30, help="days to simulate (default 30)")
    traffic.add_argument("--seed", type=int, default=1, help="demand seed (default 1)")
    traffic.add_argument("--policies", default="all",
                         help=f"'all' or a comma list of: {', '.join(POLICY_NAMES)}")
    traffic.add_argument("--out", type=Path, default=Path("report"),
                         help="folder for the CSVs and the report (default report/)")
    traffic.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="KEY=VALUE",
                         help="override a profile or assumption value, e.g. volume.per_day=300 "
                              "(repeatable; keys of config/demand/profile.toml and traffic.toml)")
    traffic.add_argument("--profile", type=Path, help="another demand profile TOML")
    traffic.add_argument("--assumptions", type=Path, help="another traffic.toml")
    traffic.add_argument("--jobs", type=int, default=1,
                         help="processes for the policies (default 1; same results)")
    traffic.add_argument("--no-run-out", action="store_true",
                         help="skip the run-out scenario (no visits)")
    traffic.add_argument("--no-report", action="store_true",
                         help="write the CSVs and summary only, no plots")
    traffic.add_argument("--quiet", action="store_true", help="no progress bar")


def run_traffic(args: argparse.Namespace) -> int:
    """Run the `traffic` subcommand from parsed arguments; return the exit status."""
    try:
        tree = load_tree(args.profile, args.assumptions, args.overrides)
        terminal = read_terminal(args.terminal)
        profile = build_profile(tree, terminal.currency)
        policies = POLICY_NAMES if args.policies == "all" else tuple(
            p.strip() for p in args.policies.split(",") if p.strip())
        unknown = [p for p in policies if p not in POLICY_NAMES]
        if unknown or args.days < 1:
            print(f"kiosk-sim traffic: unknown policies {unknown} or days < 1; policies: "
                  f"{', '.join(POLICY_NAMES)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        study = Study(terminal, profile, args.days, args.seed, policies,
                      Replenishment.from_mapping(tree["replenishment"]),
                      study_reserve(terminal, tree["reserve"]))
    except (CashmixError, OSError, KeyError) as error:
        return bad_input("traffic", error)
    began = time.perf_counter()
    result = _run_with_progress(study, args)
    elapsed = time.perf_counter() - began
    write_csvs(result, args.out)
    text = _summary_text(result, elapsed)
    (args.out / "summary.md").write_text(text)
    print(text)
    if not args.no_report:
        _write_report(result, tree, args)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run `traffic` as its own command (until kiosk-sim wires it in); return the exit status."""
    parser = argparse.ArgumentParser(prog="kiosk-sim")
    commands = parser.add_subparsers(dest="command", required=True)
    add_traffic_command(commands)
    return run_traffic(parser.parse_args(argv))


def _run_with_progress(study: Study, args: argparse.Namespace) -> StudyResult:
    if args.quiet:
        return run_study(study, jobs=args.jobs, run_out=not args.no_run_out)
    from rich.progress import Progress

    runs = len(study.policies) * (1 if args.no_run_out else 2)
    with Progress(transient=False) as bar:
        task = bar.add_task(f"{study.terminal.id}: {runs} policy runs", total=None)

        def advance(served: int) -> None:
            if bar.tasks[0].total is None:
                bar.update(task, total=runs * _expected(study))
            bar.advance(task, served)
        result = run_study(study, jobs=args.jobs, run_out=not args.no_run_out, progress=advance)
        bar.update(task, completed=bar.tasks[0].total)
    return result


def _expected(study: Study) -> int:
    """Withdrawals the stream is expected to hold (the bar's total before the stream exists)."""
    return max(1, round(study.profile.per_day * study.days))


def _summary_text(result: StudyResult, elapsed: float) -> str:
    study = result.study
    operating = [summarise(r, study.terminal) for r in result.operating.values()]
    lines = [f"# Traffic study: {study.terminal.name or study.terminal.id}", "",
             f"{len(result.stream)} withdrawals over {study.days} days from "
             f"{study.profile.start}, seed {study.seed}; simulated in {elapsed:.1f} s.", "",
             "## In operation (replenishment: every "
             f"{study.replenishment.every_days} days, on low: {study.replenishment.on_low}, "
             f"lead {study.replenishment.lead_hours} h)", "",
             summary_table(operating, study.terminal.currency)]
    if result.run_out:
        run_out = [summarise(r, study.terminal) for r in result.run_out.values()]
        lines += ["", "## Run-out (no visits, from the configured load)", "",
                  run_out_table(run_out)]
    return "\n".join(lines) + "\n"


def _write_report(result: StudyResult, tree: dict, args: argparse.Namespace) -> None:
    try:
        from sim.traffic.report import write_report
    except ImportError as error:
        print(f"kiosk-sim traffic: no report ({error.name} is not installed); CSVs written",
              file=sys.stderr)
        return
    path = write_report(result, tree, args.out)
    print(f"report: {path}")


if __name__ == "__main__":
    sys.exit(main())


def bad_input(command: str, error: Exception) -> int:
    """Print a bad-input error of `kiosk-sim <command>` to stderr, every problem it lists on a
    line of its own; return the bad-input exit status."""
    message = getattr(error, "message", None) or str(error)
    print(f"kiosk-sim {command}: {message}", file=sys.stderr)
    for place, problems in (getattr(error, "details", {}).get("errors") or {}).items():
        for problem in problems:
            print(f"  {place}: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT
