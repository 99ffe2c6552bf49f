"""The planner's report: planned.toml beside report.md, plan.json and the PNG plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from denomination import default_catalogue
from denomination.money import face_value
from sim.traffic.evaluation import Candidate, Score
from sim.traffic.frontier import FrontierPoint
from sim.traffic.plan_run import PlanRun
from sim.traffic.plan_start import SAFETY_QUANTILES
from sim.traffic.plan_target import Goal
from sim.traffic.planned_toml import planned_text


def write_plan(run: PlanRun, source_text: str, out: Path, *,
               frontier: Sequence[FrontierPoint] = (), plots: bool = True) -> dict[str, Path]:
    """Write planned.toml, report.md, plan.json and (with `plots`) the PNGs into `out`;
    return name -> path. Raises InvalidRequest when the terminal file cannot be edited."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = run.plan.chosen.candidate
    paths = {"planned.toml": out / "planned.toml", "report.md": out / "report.md",
             "plan.json": out / "plan.json"}
    paths["planned.toml"].write_text(planned_text(source_text, dict(chosen.load),
                                                  dict(chosen.thresholds)))
    images: list[str] = []
    if plots:
        from sim.traffic import plan_plots

        scale = 1000 * 10 ** _exponent(run)
        title = run.terminal.name or run.terminal.id
        plan_plots.search(run.plan, out / "search.png", f"{title}: the search (train seeds)",
                          scale)
        plan_plots.comparison(_rows(run), out / "planned-vs-default.png",
                              f"{title}: planned vs default load (test seeds)", scale)
        images = ["search.png", "planned-vs-default.png"]
        if frontier:
            plan_plots.frontier(frontier, out / "frontier.png",
                                f"{title}: mean cash against visits (test seeds)", scale)
            images.append("frontier.png")
        paths |= {name: out / name for name in images}
    paths["report.md"].write_text(report_text(run, frontier, images))
    paths["plan.json"].write_text(json.dumps(plan_json(run, frontier), indent=2) + "\n")
    return paths


def _rows(run: PlanRun) -> dict[str, Score]:
    policy = run.plan.policy
    return {f"{run.plan.baseline_policy}, file's load (baseline)": run.baseline,
            f"{policy}, file's load": run.default, f"{policy}, planned load": run.planned}


def report_text(run: PlanRun, frontier: Sequence[FrontierPoint] = (),
                images: Sequence[str] = ()) -> str:
    """Return the Markdown report of a planner run."""
    plan, terminal = run.plan, run.terminal
    target = plan.target
    lines = [f"# Cash plan: {terminal.name or terminal.id}", "",
             f"Policy `{plan.policy}`, goal **{target.goal}**: {_target_text(run)}. "
             f"{len(plan.trials)} candidates searched (Optuna TPE, seeded) on train seeds "
             f"{_seeds(plan.train_seeds)}; " + _confirm_text(plan) + "the chosen one judged "
             f"on fresh test seeds {_seeds(run.test_seeds)}."
             + (f" Took {run.seconds:.0f} s." if run.seconds else ""), ""]
    if not plan.any_feasible:
        lines += ["**No candidate met the target on the train seeds**; the one closest to it "
                  "is shown.", ""]
    elif not plan.chosen.feasible:
        lines += ["**No finalist met the target on the train and confirmation seeds together**; "
                  "the one closest to it is shown.", ""]
    lines += ["## Load", "", _load_table(run), "",
              "## Out of sample (test seeds)", "",
              "Means over the test seeds, min-max in brackets.", "", _score_table(run), ""]
    lines += [_verdict(run), ""]
    if "planned-vs-default.png" in images:
        lines += ["![planned vs default](planned-vs-default.png)", ""]
    lines += ["## Why wishes were not met (test seeds)", "",
              "*For want of stock*: the same policy meets the wish when every cassette is amply "
              "stocked (a load can fix it). *Whatever the stock*: it does not meet it even then "
              "(the terminal's denominations or note limit, or a policy that ignores wishes).",
              "", _failure_table(run), "",
              "## In sample (" + ("train and confirmation seeds" if plan.confirm_seeds
                                  else "train seeds") + ")", "",
              "These figures were seen by the search: they are not a fair estimate.", "",
              _train_table(run), ""]
    if "search.png" in images:
        lines += ["![search](search.png)", ""]
    if frontier:
        lines += ["## Frontier (test seeds)", "", frontier_table(frontier, terminal.currency), ""]
        if "frontier.png" in images:
            lines += ["![frontier](frontier.png)", ""]
    return "\n".join(lines)


def frontier_table(points: Sequence[FrontierPoint], currency: str) -> str:
    """Return the frontier as a Markdown table, one row a point."""
    lines = ["| series | set by | visits/month | mean cash | refused | wish met |",
             "|---|---|---|---|---|---|"]
    for p in points:
        s = p.score
        lines.append(f"| {p.series} | {p.setting} | {_visits(s)} | {_cash(s, currency)} | "
                     f"{s.refused:.2%} | {s.met:.1%} |")
    return "\n".join(lines)


def _confirm_text(plan) -> str:
    if not plan.confirm_seeds:
        return ""
    return (f"the analytic start, its safety ladder and the cheapest other feasible candidates "
            f"({len(plan.confirmed)} finalists) scored again, "
            f"with the baseline, on confirmation seeds {_seeds(plan.confirm_seeds)}, "
            f"{len(plan.trimmed)} trims of the cheapest toward the visit limit with them, and "
            f"the load chosen on all {len(plan.in_sample_seeds)}; ")


def _target_text(run: PlanRun) -> str:
    target, currency = run.plan.target, run.terminal.currency
    base = run.plan.baseline_train
    parts = []
    if target.goal == Goal.LEAST_CASH:
        parts.append(f"least mean cash at <= {target.max_visits:.2f} visits a month")
    else:
        parts.append(f"fewest visits at <= {_money(round(target.max_cash), currency)} mean cash")
    parts.append(f"refusals <= {target.max_refused:.2%}")
    seeds = "train and confirmation seeds" if run.plan.confirm_seeds else "train seeds"
    return (", ".join(parts) + f" ({run.plan.baseline_policy} on the file's load, {seeds}: "
            f"{base.visits:.2f} visits, {_money(round(base.mean_cash), currency)}, "
            f"{base.refused:.2%} refused)")


def _load_table(run: PlanRun) -> str:
    terminal = run.terminal
    exponent = _exponent(run)
    default = Candidate.of(terminal)
    start, chosen = run.plan.start, run.plan.chosen.candidate
    lines = ["| cassette | note | capacity | file: load / low | start: load / low | "
             "planned: load / low |", "|---|---|---|---|---|---|"]
    loads = [(dict(c.load), dict(c.thresholds)) for c in (default, start, chosen)]
    for c in terminal.cassettes:
        cells = [f"{load[c.id]} / {low[c.id]}" for load, low in loads]
        lines.append(f"| {c.id} | {face_value(c.denomination, exponent)} | "
                     f"{c.capacity or '-'} | " + " | ".join(cells) + " |")
    values = [_money(c.value(terminal), terminal.currency) for c in (default, start, chosen)]
    lines.append("| value loaded | | | " + " | ".join(values) + " |")
    return "\n".join(lines)


def _score_table(run: PlanRun) -> str:
    currency = run.terminal.currency
    lines = ["| policy, load | visits/month | mean cash | refused | wish met |",
             "|---|---|---|---|---|"]
    for label, s in _rows(run).items():
        lines.append(f"| {label} | {_visits(s)} | {_cash(s, currency)} | {_share(s, 'refused')} "
                     f"| {_share(s, 'met')} |")
    return "\n".join(lines)


def _verdict(run: PlanRun) -> str:
    base, planned = run.baseline, run.planned
    checks = [("visits", planned.visits <= base.visits + 1e-9,
               f"{planned.visits:.2f} vs {base.visits:.2f}"),
              ("mean cash", planned.mean_cash <= base.mean_cash,
               f"{_money(round(planned.mean_cash), run.terminal.currency)} vs "
               f"{_money(round(base.mean_cash), run.terminal.currency)} "
               f"({planned.mean_cash / base.mean_cash - 1:+.1%})"),
              ("refusals", planned.refused <= base.refused + 1e-12,
               f"{planned.refused:.2%} vs {base.refused:.2%}")]
    text = ", ".join(f"{name} {'no more' if ok else '**more**'} ({detail})"
                     for name, ok, detail in checks)
    return (f"Planned load against {run.plan.baseline_policy} on the file's load, same test "
            "seeds: "
            f"{text}; wishes met {planned.met:.1%} vs {base.met:.1%}.")


def _failure_table(run: PlanRun) -> str:
    lines = ["| policy, load | unmet for want of stock (partly / refused) | "
             "unmet whatever the stock (partly / refused) |", "|---|---|---|"]
    for label, s in _rows(run).items():
        f = s.failures()
        lines.append(f"| {label} | {f.by_stock:.1%} ({f.stock_partial} / {f.stock_refused}) | "
                     f"{f.by_denominations:.1%} ({f.any_stock_partial} / "
                     f"{f.any_stock_refused}) |")
    return "\n".join(lines)


def _train_table(run: PlanRun) -> str:
    """Return the in-sample table: the baseline, then every finalist when there was a
    confirmation (the chosen one marked), else the analytic start and the chosen one."""
    currency = run.terminal.currency
    plan = run.plan
    rows = {f"{plan.baseline_policy}, file's load": plan.baseline_train}
    if plan.confirmed:
        for trial in plan.confirmed + plan.trimmed:
            label = _finalist_label(plan, trial, run.terminal)
            rows[f"**{label} (chosen)**" if trial == plan.chosen else label] = trial.score
    else:
        rows |= {"analytic start": plan.trials[0].score, "chosen": plan.chosen.score}
    lines = ["| candidate | visits/month | mean cash | refused | wish met |",
             "|---|---|---|---|---|"]
    for label, s in rows.items():
        lines.append(f"| {label} | {_visits(s)} | {_cash(s, currency)} | {_share(s, 'refused')} "
                     f"| {_share(s, 'met')} |")
    return "\n".join(lines)


def plan_json(run: PlanRun, frontier: Sequence[FrontierPoint] = ()) -> dict[str, Any]:
    """Return the run as JSON-ready data (money in minor units, shares as fractions)."""
    plan = run.plan
    return {
        "terminal": run.terminal.id, "currency": run.terminal.currency, "policy": plan.policy,
        "target": {"goal": str(plan.target.goal), "max_visits": plan.target.max_visits,
                   "max_cash_minor": plan.target.max_cash,
                   "max_refused": plan.target.max_refused},
        "train_seeds": list(plan.train_seeds), "confirm_seeds": list(plan.confirm_seeds),
        "test_seeds": list(run.test_seeds),
        "seconds": round(run.seconds, 1),
        "load": {"file": _candidate_json(Candidate.of(run.terminal)),
                 "start": _candidate_json(plan.start),
                 "planned": _candidate_json(plan.chosen.candidate)},
        "met_target_in_sample": plan.chosen.feasible,
        "in_sample": {"baseline": _score_json(plan.baseline_train),
                      "chosen": _score_json(plan.chosen.score),
                      "trials": [{"number": t.number, "feasible": t.feasible,
                                  **_candidate_json(t.candidate), **_score_json(t.score)}
                                 for t in plan.trials],
                      "confirmed": [{"number": t.number, "feasible": t.feasible,
                                     **_candidate_json(t.candidate), **_score_json(t.score)}
                                    for t in plan.confirmed],
                      "trimmed": [{"number": t.number, "trimmed_from": t.trimmed_from,
                                   "feasible": t.feasible, **_candidate_json(t.candidate),
                                   **_score_json(t.score)} for t in plan.trimmed]},
        "out_of_sample": {"baseline": _score_json(run.baseline),
                          "default": _score_json(run.default),
                          "planned": _score_json(run.planned)},
        "frontier": [{"series": p.series, "set_by": p.setting, **_candidate_json(p.candidate),
                      **_score_json(p.score)} for p in frontier],
    }


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {"counts": dict(candidate.load), "low_thresholds": dict(candidate.thresholds)}


def _score_json(score: Score) -> dict[str, Any]:
    data: dict[str, Any] = {"visits_per_month": score.visits, "mean_cash_minor": score.mean_cash,
                            "refused": score.refused, "met": score.met,
                            "per_seed": [{"seed": s.seed, "visits_per_month": s.visits_per_month,
                                          "mean_cash_minor": s.mean_cash, "refused": s.refused,
                                          "met": s.met} for s in score.seeds]}
    for field in ("visits_per_month", "mean_cash", "refused", "met"):
        low, high, sd = score.spread(field)
        data[f"{field}_spread"] = {"min": low, "max": high, "sd": sd}
    if any(s.failures is not None for s in score.seeds):
        f = score.failures()
        data["wish_failures"] = {"withdrawals": f.withdrawals, "stock_partial": f.stock_partial,
                                 "stock_refused": f.stock_refused,
                                 "any_stock_partial": f.any_stock_partial,
                                 "any_stock_refused": f.any_stock_refused}
    return data


def _visits(s: Score) -> str:
    low, high, _ = s.spread("visits_per_month")
    return f"{s.visits:.2f} ({low:.1f}-{high:.1f})"


def _cash(s: Score, currency: str) -> str:
    low, high, _ = s.spread("mean_cash")
    return (f"{_money(round(s.mean_cash), currency)} ({_money(round(low), currency)}-"
            f"{_money(round(high), currency)})")


def _share(s: Score, field: str) -> str:
    low, high, _ = s.spread(field)
    return f"{getattr(s, field):.2%} ({low:.2%}-{high:.2%})"


def _seeds(seeds: Sequence[int]) -> str:
    return ", ".join(map(str, seeds))


def _exponent(run: PlanRun) -> int:
    return default_catalogue().currency(run.terminal.currency).exponent


def _money(value: int, currency: str) -> str:
    money = default_catalogue().currency(currency)
    return f"{money.round_to_major(value) // 10 ** money.exponent:,} {currency}"


def _finalist_label(plan, trial, terminal) -> str:
    """Return how a finalist came: the analytic start, a step of its safety ladder (the
    quantile its largest note's threshold covers), a candidate of the search, or the trim of
    one of those (the share of its cycle's value kept)."""
    if trial.trimmed_from is not None:
        finalist = next(t for t in plan.confirmed if t.number == trial.trimmed_from)
        kept = (trial.candidate.cycle_value(terminal)
                / max(finalist.candidate.cycle_value(terminal), 1))
        return f"{_finalist_label(plan, finalist, terminal)}, cycle trimmed to {kept:.1%}"
    if trial.number == 0:
        return "analytic start"
    if trial.candidate in plan.ladder:
        step = plan.ladder.index(trial.candidate)
        return f"safety ladder, largest note's threshold q{SAFETY_QUANTILES[step]:g}"
    return f"search candidate {trial.number}"
