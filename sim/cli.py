"""`kiosk-sim`: run a hardware scenario against the simulated dispenser and print what happened.

    kiosk-sim run sim/scenarios/jam.toml          # instant, simulated time
    kiosk-sim run jam --real-time                 # a shipped scenario, at a real dispenser's pace
    kiosk-sim list                                # the shipped scenarios
    kiosk-sim traffic --terminal config/terminals/demo-czk.toml --days 30 --out report/
    kiosk-sim plan --terminal config/demand/typical-czk-atm.toml --out plan/ --jobs 2
    kiosk-sim xfs4iot --terminal config/terminals/demo-czk.toml --take-after 2  # XFS4IoT device

Exit status: 0 when every note is accounted for, 1 when a note is not, 2 for a bad scenario.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from denomination.errors import CashmixError
from kiosk_service.hardware.clock import ManualClock, SystemClock
from sim.report import print_report
from sim.runner import run_scenario
from sim.scenario import ScenarioError, load_scenario
from sim.traffic.cli import add_traffic_command, run_traffic
from sim.traffic.plan_cli import add_plan_command, run_plan_command
from sim.xfs4iot.cli import add_xfs4iot_command, run_xfs4iot

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

EXIT_OK, EXIT_UNACCOUNTED, EXIT_BAD_SCENARIO = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="kiosk-sim", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a scenario file (or a shipped scenario's name)")
    run.add_argument("scenario", help="path to a .toml scenario, or a name from `kiosk-sim list`")
    run.add_argument("--real-time", action="store_true",
                     help="take as long as a real dispenser (default: instant, simulated time)")
    commands.add_parser("list", help="list the shipped scenarios")
    add_traffic_command(commands)
    add_plan_command(commands)
    add_xfs4iot_command(commands)
    args = parser.parse_args(argv)
    if args.command == "traffic":
        return run_traffic(args)
    if args.command == "plan":
        return run_plan_command(args)
    if args.command == "xfs4iot":
        return run_xfs4iot(args)
    if args.command == "list":
        for path in sorted(SCENARIOS.glob("*.toml")):
            print(path.stem)
        return EXIT_OK
    path = _find(args.scenario)
    if path is None:
        print(f"kiosk-sim: there is no scenario {args.scenario}: no such file, and no shipped "
              "scenario of that name (`kiosk-sim list` names them).", file=sys.stderr)
        return EXIT_BAD_SCENARIO
    try:
        scenario = load_scenario(path)
        clock = SystemClock() if args.real_time else ManualClock()
        report = run_scenario(scenario, clock=clock)
    except ScenarioError as error:
        _print_problems(error, sys.stderr)
        return EXIT_BAD_SCENARIO
    except CashmixError as error:
        print(f"kiosk-sim: {error.message}", file=sys.stderr)
        return EXIT_BAD_SCENARIO
    print_report(report, sys.stdout)
    return EXIT_OK if report.ok else EXIT_UNACCOUNTED


def _find(name: str) -> Path | None:
    """A path as given when it exists or looks like one, else the shipped scenario `name`."""
    path = Path(name)
    if path.exists() or len(path.parts) > 1:
        return path
    shipped = SCENARIOS / path.with_suffix(".toml").name
    return shipped if shipped.exists() else None


def _print_problems(error: ScenarioError, out: TextIO) -> None:
    """The message, then one `file:line: place: problem` line per problem, in file order."""
    print(f"kiosk-sim: {error.message}", file=out)
    for line, place, problem in error.located():
        where = f"{error.path}:{line}" if line else error.path
        print(f"{where}: {place}: {problem}", file=out)


if __name__ == "__main__":
    sys.exit(main())
