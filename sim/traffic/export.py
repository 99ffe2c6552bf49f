"""A study's files: every withdrawal, hourly levels and visits as CSV, and the summary table."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from denomination import default_catalogue
from kiosk_service.formatting import format_money
from sim.traffic.metrics import Summary, summarise
from sim.traffic.study import OPERATING, RUN_OUT, StudyResult

#: What the summary shows for a figure that does not exist.
SHORT_RUN = "n/a (run shorter than a month)"
NO_VISITS = "n/a (no visits)"


def write_csvs(result: StudyResult, out: Path) -> list[Path]:
    """Write withdrawals.csv, levels.csv, visits.csv and summary.csv into `out`; return them.

    Amounts are minor units (`amount_minor`) with the currency alongside; a figure that does
    not exist (idle cash without visits) is an empty cell.
    """
    out.mkdir(parents=True, exist_ok=True)
    terminal = result.study.terminal
    ids = [c.id for c in terminal.cassettes]
    paths = [out / name for name in ("withdrawals.csv", "levels.csv", "visits.csv",
                                     "summary.csv")]
    scenarios = ((OPERATING, result.operating), (RUN_OUT, result.run_out))
    wishes = {w.index: w.preference for w in result.stream}
    with open(paths[0], "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["scenario", "policy", "index", "time", "currency", "amount_minor",
                         "wish", "preference", "result", "notes", "reasons"])
        for scenario, runs in scenarios:
            for name, run in runs.items():
                for o in run.outcomes:
                    writer.writerow([scenario, name, o.index, o.at.isoformat(), terminal.currency,
                                     o.amount, o.wish, _preference(wishes[o.index]), o.result,
                                     " ".join(f"{d}x{n}" for d, n in o.notes),
                                     " ".join(o.reasons)])
    with open(paths[1], "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["scenario", "policy", "hour", *ids, "common_payable"])
        for scenario, runs in scenarios:
            for name, run in runs.items():
                for s in run.samples:
                    writer.writerow([scenario, name, s.at.isoformat(), *s.counts,
                                     int(s.common_payable)])
    with open(paths[2], "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["policy", "time", "reason", *[f"found_{i}" for i in ids],
                         "idle_value_minor"])
        for name, run in result.operating.items():
            for v in run.visits:
                writer.writerow([name, v.at.isoformat(), v.reason, *v.found, v.idle_value])
    summaries = [summarise(run, terminal) for run in result.operating.values()]
    with open(paths[3], "w", newline="") as file:
        writer = csv.writer(file)
        fields = list(Summary.__dataclass_fields__)
        writer.writerow(fields)
        for summary in summaries:
            writer.writerow([_cell(getattr(summary, f)) for f in fields])
    return paths


def summary_table(summaries: Sequence[Summary], currency: str) -> str:
    """Return the operating summary as a Markdown table, one row per policy."""
    fmt = _whole(currency)
    head = ("| policy | wish met | partly | refused | choosers met | notes/wdl | first empty (h) "
            "| common unpayable (h total) | visits/month | idle cash/visit | mean cash |")
    lines = [head, "|" + "---|" * 11]
    for s in summaries:
        empty = "-" if s.first_empty_hours is None else \
            f"{s.first_empty_hours:.0f} ({s.first_empty_cassette})"
        visits = f"{s.visits_per_month:.1f}" if s.monthly else SHORT_RUN
        idle = NO_VISITS if s.idle_cash is None else fmt(s.idle_cash)
        lines.append(
            f"| {s.policy} | {s.met:.1%} | {s.partial:.1%} | {s.refused:.1%} | "
            f"{s.chooser_met:.1%} | {s.notes_per_withdrawal:.2f} | {empty} | {s.hours_unpayable} "
            f"| {visits} | {idle} | {fmt(s.mean_cash)} |")
    return "\n".join(lines)


def run_out_table(summaries: Sequence[Summary]) -> str:
    """Return the run-out figures (no visits) as a Markdown table."""
    lines = ["| policy | first cassette empty (h) | a common amount unpayable (h) | "
             "withdrawals served until then |", "|---|---|---|---|"]
    for s in summaries:
        empty = "-" if s.first_empty_hours is None else \
            f"{s.first_empty_hours:.1f} ({s.first_empty_cassette})"
        unpayable = "-" if s.first_unpayable_hours is None else f"{s.first_unpayable_hours:.0f}"
        lines.append(f"| {s.policy} | {empty} | {unpayable} | {s.withdrawals} |")
    return "\n".join(lines)


def _whole(currency: str):
    """Return a formatter of minor units rounded to whole major units ('CZK 113,367')."""
    money = default_catalogue().currency(currency)
    return lambda value: format_money(money.round_to_major(value), money)


def _preference(preference) -> str:
    parts = [str(preference.kind)]
    if preference.counts:
        parts.append("counts=" + ",".join(f"{d}x{n}" for d, n in preference.counts))
    if preference.exclude:
        parts.append("exclude=" + ",".join(map(str, preference.exclude)))
    return " ".join(parts)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, tuple):
        return " ".join(f"{d}x{n}" for d, n in value)
    return "" if value is None else str(value)
