"""`kiosk-service plan-load`: the next load for a real terminal, from its own recent dispenses.

    kiosk-service plan-load --terminal demo-czk --days 28 --jobs 2

Reads the terminal, its current load (the counts its last replenishment or import left in each
cassette, from the journal) and the dispenses of its last `--days` days from the database;
resamples those days into several months of demand (sim/traffic/recorded.py); and runs the cash
planner (sim/traffic/planner.py) for the terminal's own policy: the least mean cash at no more
visits and refusals than the current load gives on the same demand. Prints the recommended
load and thresholds, what changes, and the expected visits, refusals and cash of both loads on
resampled months the search did not see. Only dispenses that were served are recorded, so
demand refused at the quote is not in the history.

The planner and the replay are the traffic simulator's (`sim.traffic`), imported when the
command runs: the service itself never loads `sim` (it reaches the hardware simulator only by
driver URL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import click

from denomination.catalogue import default_catalogue
from denomination.errors import CashmixError
from kiosk_service.formatting import format_money
from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import Terminal

#: Resampled months: the first TRAIN_STREAMS train the search, the rest judge it.
TRAIN_STREAMS, TEST_STREAMS = 3, 6
LOAD_KINDS = ("terminal_imported", "cassette_replenished")


@dataclass(frozen=True, slots=True)
class LoadRecommendation:
    """The planner's run on the terminal's resampled history, the current load it started
    from (cassette id -> notes), and the history it read: dispenses and days."""

    terminal: Terminal
    current: dict[str, int]
    dispenses: int
    history_days: int
    history_end: datetime
    run: Any            # sim.traffic.plan_run.PlanRun


def current_load(terminal: Terminal, entries) -> dict[str, int]:
    """Return cassette id -> the count its newest import or replenishment left (journal
    entries oldest first), else its count now."""
    load = {c.id: c.count for c in terminal.cassettes}
    for entry in entries:
        if entry.kind == "terminal_imported":
            for cassette_id, data in ((entry.after or {}).get("cassettes") or {}).items():
                if cassette_id in load:
                    load[cassette_id] = int(data["count"])
        elif entry.kind == "cassette_replenished" and entry.subject in load:
            load[entry.subject] = int((entry.after or {})["count"])
    return load


def recommend_load(terminal_id: str, *, uow: SqlUnitOfWork, days: int = 28, trials: int = 24,
                   jobs: int = 1, seed: int = 0, every_days: int = 7, lead_hours: int = 24,
                   progress: Callable[[int, int], None] | None = None) -> LoadRecommendation:
    """Return the recommended next load for the terminal (see the module's doc).

    Raises NotFound (`not_found`) for an unknown terminal and InvalidRequest
    (`invalid_request`) when it has no dispenses to learn from.
    """
    from denomination.errors import InvalidRequest
    from sim.traffic.demand import Withdrawal
    from sim.traffic.evaluation import Evaluator, Setting
    from sim.traffic.plan_run import run_plan
    from sim.traffic.plan_target import Goal
    from sim.traffic.recorded import resampled_streams
    from sim.traffic.replenishment import Replenishment
    from sim.traffic.terminal import Terminal as SimTerminal

    with uow:
        terminal = uow.terminals.get(terminal_id)
        newest = uow.dispenses.newest_start(terminal_id)
        if newest is None:
            raise InvalidRequest("no dispenses recorded for this terminal",
                                 {"terminal": ["no dispense history to plan from"]})
        last_day = newest.astimezone(UTC).date()
        first_day = last_day - timedelta(days=days - 1)
        since = datetime.combine(first_day, time.min, tzinfo=UTC)
        history = uow.dispenses.history(terminal_id, since)
        entries, _ = uow.journal.page(terminal_id, kinds=list(LOAD_KINDS), page_size=100_000)
    load = current_load(terminal, entries)
    withdrawals = [Withdrawal(i, at.astimezone(UTC).replace(tzinfo=None), amount,
                              str(preference.kind), preference)
                   for i, (at, amount, preference, _) in enumerate(history)]
    streams = resampled_streams(withdrawals, first_day, days, first_day=first_day, days=days,
                                count=TRAIN_STREAMS + TEST_STREAMS, seed=seed)
    policy = terminal.dispensing
    planned_for = SimTerminal(
        terminal.id, terminal.name, terminal.currency, terminal.note_limit,
        tuple(replace(c, count=load[c.id]) for c in terminal.cassettes), policy.reserve)
    name = "cashmix_reserve" if policy.reserve else "cashmix"
    setting = Setting(None, days, Replenishment(every_days, True, lead_hours), policy.reserve,
                      recorded=streams, first_day=first_day)
    with Evaluator(setting, jobs=jobs) as evaluator:
        run = run_plan(planned_for, evaluator, name, Goal.LEAST_CASH,
                       train_seeds=range(TRAIN_STREAMS),
                       test_seeds=range(TRAIN_STREAMS, TRAIN_STREAMS + TEST_STREAMS),
                       trials=trials, seed=seed, baseline_policy=name, progress=progress)
    return LoadRecommendation(terminal, load, len(history), days, newest, run)


def recommendation_text(found: LoadRecommendation) -> str:
    """Return the recommendation as the command prints it."""
    terminal, run = found.terminal, found.run
    currency = default_catalogue().currency(terminal.currency)
    chosen = run.plan.chosen.candidate
    load, low = dict(chosen.load), dict(chosen.thresholds)
    lines = [f"{terminal.id}: {found.dispenses} dispenses over the {found.history_days} days to "
             f"{found.history_end:%Y-%m-%d}, policy {run.plan.policy}; planned on "
             f"{TRAIN_STREAMS} resampled months of them, judged on {TEST_STREAMS} others.", "",
             f"{'cassette':<9}{'note':>8}{'capacity':>10}{'current load / low':>20}"
             f"{'next load / low':>18}{'change':>14}"]
    for c in terminal.cassettes:
        change = f"{load[c.id] - found.current[c.id]:+d} / {low[c.id] - c.low_threshold:+d}"
        lines.append(f"{c.id:<9}{currency.face(c.denomination):>8}{c.capacity or '-':>10}"
                     f"{f'{found.current[c.id]} / {c.low_threshold}':>20}"
                     f"{f'{load[c.id]} / {low[c.id]}':>18}{change:>14}")
    value_now = sum(c.denomination * found.current[c.id] for c in terminal.cassettes)
    value_next = sum(c.denomination * load[c.id] for c in terminal.cassettes)
    lines += [f"value loaded: {_money(value_now, currency)} now, "
              f"{_money(value_next, currency)} next", "",
              "expected on resampled months not used by the search (mean, min-max):",
              f"{'':<14}{'visits/month':>16}{'refused':>20}  mean cash held"]
    for label, score in (("current load", run.default), ("next load", run.planned)):
        v, r, m = (score.spread(f) for f in ("visits_per_month", "refused", "mean_cash"))
        cash = f"{_money(score.mean_cash, currency)} ({_money(m[0], currency)}-" \
               f"{_money(m[1], currency)})"
        lines.append(f"{label:<14}{f'{score.visits:.1f} ({v[0]:.0f}-{v[1]:.0f})':>16}"
                     f"{f'{score.refused:.2%} ({r[0]:.1%}-{r[1]:.1%})':>20}  {cash}")
    delta = run.planned.mean_cash - run.default.mean_cash
    lines.append(f"{'change':<14}{run.planned.visits - run.default.visits:>+16.1f}"
                 f"{f'{(run.planned.refused - run.default.refused) * 100:+.2f} pt':>20}"
                 f"  {'+' if delta > 0 else ''}{_money(delta, currency)}")
    if not run.plan.any_feasible:
        lines += ["", "no load the search tried matched the current load's visits and refusals "
                      "at less cash; the closest is shown"]
    return "\n".join(lines)


@click.command("plan-load")
@click.option("--terminal", "terminal_id", required=True, help="terminal id")
@click.option("--days", default=28, show_default=True, type=click.IntRange(1),
              help="days of dispense history to learn from (to the newest dispense)")
@click.option("--trials", default=24, show_default=True, type=click.IntRange(1),
              help="loads the search tries")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1),
              help="processes for the simulations")
@click.option("--every-days", default=7, show_default=True, type=click.IntRange(0),
              help="scheduled visits: days after the last visit (0: only on low stock)")
@click.option("--lead-hours", default=24, show_default=True, type=click.IntRange(0),
              help="hours from a low-stock call to the visit")
def plan_load_command(terminal_id: str, days: int, trials: int, jobs: int, every_days: int,
                      lead_hours: int) -> None:
    """Recommend the next load for a terminal from its own recent dispenses."""
    from kiosk_service.app import create_app

    deps = create_app({"RECOVER_ON_START": False}).extensions["cashmix"]
    try:
        found = recommend_load(terminal_id, uow=deps.unit_of_work(), days=days, trials=trials,
                               jobs=jobs, every_days=every_days, lead_hours=lead_hours)
    except CashmixError as error:
        raise click.ClickException(getattr(error, "message", str(error))) from error
    finally:
        deps.close()
    click.echo(recommendation_text(found))


def _money(value: float, currency) -> str:
    return format_money(currency.round_to_major(round(value)), currency)
