"""The study's Markdown report: setup and provenance, tables and plots."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from denomination import default_catalogue
from kiosk_service.formatting import format_money
from sim.traffic import plots
from sim.traffic.export import run_out_table, summary_table
from sim.traffic.metrics import Summary, summarise, wish_met_by_kind
from sim.traffic.policies import POLICY_TITLES
from sim.traffic.study import StudyResult

NN5_CREDIT = ("Daily ATM withdrawal multipliers derived from the NN5 competition data "
              "(Crone, 2008; Taieb et al., 2012, *Expert Systems with Applications* 39(8)), as "
              "republished in the Monash Time Series Forecasting Archive (Godahewa et al., "
              "2021), CC BY 4.0.")


def write_report(result: StudyResult, tree: Mapping[str, Any], out: Path) -> Path:
    """Write report.md and its PNG plots into `out`; return the report's path. (Planning the
    load is `kiosk-sim plan`'s: sim/traffic/planner.py.)"""
    study, terminal = result.study, result.study.terminal
    out.mkdir(parents=True, exist_ok=True)
    operating = [summarise(r, terminal) for r in result.operating.values()]
    run_out = [summarise(r, terminal) for r in result.run_out.values()]
    title = terminal.name or terminal.id
    plots.outcomes(operating, out / "outcomes.png",
                   f"{title}: what {len(result.stream)} customers got, by policy")
    plots.cassette_levels(result.operating, terminal, out / "levels-operating.png",
                          f"{title}: cassette levels in operation")
    sections = [_setup(result, tree), "## In operation", "",
                _operation_text(study), "", summary_table(operating, terminal.currency), "",
                "![outcomes](outcomes.png)", "", "![levels](levels-operating.png)", "",
                _wish_table(result), "", _notes_table(operating, terminal)]
    if run_out:
        plots.cassette_levels(result.run_out, terminal, out / "levels-run-out.png",
                              f"{title}: run-out from the configured load, no visits")
        sections += ["## Run-out: how long the configured load lasts", "",
                     "No visits; each run stops at the first hour a common amount ("
                     + ", ".join(_money(a, terminal.currency)
                                 for a in study.profile.common_amounts())
                     + ") cannot be paid.", "", run_out_table(run_out), "",
                     "![run-out](levels-run-out.png)", ""]
    path = out / "report.md"
    path.write_text("\n".join(sections) + "\n")
    return path


def _setup(result: StudyResult, tree: Mapping[str, Any]) -> str:
    study, terminal, profile = result.study, result.study.terminal, result.study.profile
    currency = default_catalogue().currency(terminal.currency)
    cassettes = ["| cassette | note | load | capacity | low threshold |", "|---|---|---|---|---|"]
    for c in terminal.cassettes:
        cassettes.append(f"| {c.id} | {format_money(c.denomination, currency)} | {c.count} | "
                         f"{c.capacity or '-'} | {c.low_threshold} |")
    wishes = ", ".join(f"{w} {p:.0%}" for w, p in profile.wishes)
    reserve = ", ".join(f"{n} x {format_money(d, currency)}" for d, n in study.reserve) or "none"
    policies = "\n".join(f"- `{name}`: {POLICY_TITLES[name]}" for name in study.policies)
    kinds = {key: tree["daily_volume"][key]["kind"]
             for key in ("weekday", "month", "payday", "holidays", "noise")}
    return "\n".join([
        f"# Traffic study: {terminal.name or terminal.id}", "",
        f"{len(result.stream)} withdrawals over {study.days} days from {profile.start} "
        f"(seed {study.seed}), every policy fed the same customers in the same order.", "",
        "## Setup", "",
        f"Terminal `{terminal.id}`, {terminal.currency}, at most {terminal.note_limit} notes a "
        f"withdrawal, {_money(terminal.loaded_value, terminal.currency)} loaded:", "",
        *cassettes, "",
        f"Demand: {profile.per_day:g} withdrawals on an average day (volume: "
        f"{tree['volume']['kind']}), weekday / month / payday / holiday / noise effects "
        f"{' / '.join(kinds.values())} (config/demand/profile.toml, NN5, UK 1996-98), payday "
        f"mode `{profile.payday}` anchored at `{profile.payday_anchor}`, Czech public holidays; "
        f"hour of day {tree['hour_of_day']['kind']}; amounts "
        f"{tree['amounts'][terminal.currency]['kind']}"
        f" (mean {_money(round(profile.mean_amount), terminal.currency)}); wishes "
        f"({tree['preferences']['kind']}): {wishes}. Reserve of `cashmix_reserve`: {reserve}.",
        "", f"Credit: {NN5_CREDIT} Sources of every figure: config/demand/README.md.", "",
        "Policies:", "", policies, ""])


def _operation_text(study) -> str:
    rule = study.replenishment
    every = f"every {rule.every_days} days after the last visit" if rule.every_days else "never"
    low = (f"and {rule.lead_hours} h after a cassette reaches its low threshold" if rule.on_low
           else "and never on low stock")
    return (f"Visits restore the configured load {every}, {low}. *Wish met*: the mix is what "
            "the customer asked for; *partly*: paid, but not as asked; *refused*: the amount "
            "could not be paid. *Choosers met*: met share among customers who asked for "
            "something other than the fewest notes. *First empty*: hours from the start until "
            "a cassette first empties. *Common unpayable*: hours in which a common amount could "
            "not be paid. *Idle cash*: value left in the terminal when the crew came.")


def _wish_table(result: StudyResult) -> str:
    by_policy = {name: wish_met_by_kind(run) for name, run in result.operating.items()}
    wishes = sorted({w for shares in by_policy.values() for w in shares})
    lines = ["Wish met, by what the customer asked for:", "",
             "| policy | " + " | ".join(wishes) + " |", "|---|" + "---|" * len(wishes)]
    for name, shares in by_policy.items():
        lines.append(f"| {name} | " + " | ".join(f"{shares.get(w, 0):.0%}" for w in wishes)
                     + " |")
    return "\n".join(lines)


def _notes_table(summaries: list[Summary], terminal) -> str:
    currency = default_catalogue().currency(terminal.currency)
    denominations = sorted({c.denomination for c in terminal.cassettes}, reverse=True)
    lines = ["Notes dispensed, by denomination (share of notes in brackets):", "",
             "| policy | " + " | ".join(format_money(d, currency) for d in denominations)
             + " | notes / withdrawal |", "|---|" + "---|" * (len(denominations) + 1)]
    for s in summaries:
        notes = dict(s.notes_by_denomination)
        total = max(sum(notes.values()), 1)
        cells = [f"{notes.get(d, 0)} ({notes.get(d, 0) / total:.0%})" for d in denominations]
        lines.append(f"| {s.policy} | " + " | ".join(cells) + f" | {s.notes_per_withdrawal:.2f} |")
    return "\n".join(lines) + "\n"


def _money(value: int, currency: str) -> str:
    money = default_catalogue().currency(currency)
    return format_money(money.round_to_major(value), money)
