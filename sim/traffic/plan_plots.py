"""The planner's figures (matplotlib, PNG): the search, planned vs default, the frontier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from sim.traffic.evaluation import Score  # noqa: E402
from sim.traffic.frontier import FrontierPoint  # noqa: E402
from sim.traffic.planner import Plan  # noqa: E402

DPI = 90
SERIES_COLOURS = ("#868e96", "#1c7ed6", "#e8590c", "#2b8a3e", "#7048e8", "#c2255c")
THOUSANDS = 100_000       # minor units in 1000 units of a currency with two decimals


def search(plan: Plan, path: Path, title: str, scale: int = THOUSANDS) -> Path:
    """Plot every trial's train figures (visits a month, mean cash), the start and the choice."""
    figure, axis = plt.subplots(figsize=(7, 4.2))
    feasible = [t for t in plan.trials if t.feasible]
    other = [t for t in plan.trials if not t.feasible]
    for trials, colour, label in ((other, "#ced4da", "missed the target"),
                                  (feasible, "#1c7ed6", "met the target")):
        axis.scatter([t.score.visits for t in trials], [t.score.mean_cash / scale for t in trials],
                     s=18, color=colour, label=label)
    start = plan.trials[0].score
    axis.scatter([start.visits], [start.mean_cash / scale], marker="s", s=50, color="#f59f00",
                 label="analytic start")
    chosen = _on(plan.chosen.score, plan.train_seeds)
    axis.scatter([chosen.visits], [chosen.mean_cash / scale], marker="*", s=160, color="#2b8a3e",
                 label="chosen")
    base = _on(plan.baseline_train, plan.train_seeds)
    axis.scatter([base.visits], [base.mean_cash / scale], marker="X", s=70, color="#c92a2a",
                 label="bank_optimal, file's load")
    return _save_cash_by_visits(figure, axis, "train seeds, in sample", title, path)


def _on(score: Score, seeds: tuple[int, ...]) -> Score:
    """Return the score on `seeds` alone (the search's, when confirmation seeds were added)."""
    return Score(tuple(s for s in score.seeds if s.seed in seeds))


def comparison(scores: Mapping[str, Score], path: Path, title: str,
               scale: int = THOUSANDS) -> Path:
    """Plot mean figures per row with min-max bars over the test seeds."""
    metrics = (("visits a month", "visits", "visits_per_month", 1),
               ("mean cash (thousands)", "mean_cash", "mean_cash", scale),
               ("refused %", "refused", "refused", 0.01), ("wishes met %", "met", "met", 0.01))
    figure, axes = plt.subplots(1, len(metrics), figsize=(11, 3.4))
    labels = list(scores)
    for axis, (name, mean, field, divisor) in zip(axes, metrics, strict=True):
        values = [getattr(scores[k], mean) / divisor for k in labels]
        spreads = [scores[k].spread(field) for k in labels]
        low = [v - s[0] / divisor for v, s in zip(values, spreads, strict=True)]
        high = [s[1] / divisor - v for v, s in zip(values, spreads, strict=True)]
        bars = axis.bar(range(len(labels)), values, yerr=[low, high], capsize=3,
                        color=[SERIES_COLOURS[i % len(SERIES_COLOURS)]
                               for i in range(len(labels))])
        for bar, value in zip(bars, values, strict=True):
            axis.text(bar.get_x() + bar.get_width() / 3, bar.get_height(), f"{value:,.1f}",
                      ha="center", va="bottom", fontsize=8)
        axis.set_title(name, fontsize=9)
        axis.set_xticks([])
        axis.margins(y=0.2)
    figure.legend(bars, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def frontier(points: Sequence[FrontierPoint], path: Path, title: str,
             scale: int = THOUSANDS) -> Path:
    """Plot mean cash against visits a month per series, min-max bars over the test seeds."""
    figure, axis = plt.subplots(figsize=(7.5, 4.8))
    series = list(dict.fromkeys(p.series for p in points))
    for i, name in enumerate(series):
        chosen = sorted((p for p in points if p.series == name), key=lambda p: p.score.visits)
        xs = [p.score.visits for p in chosen]
        ys = [p.score.mean_cash / scale for p in chosen]
        xerr = [[x - p.score.spread("visits_per_month")[0] for x, p in zip(xs, chosen,
                                                                            strict=True)],
                [p.score.spread("visits_per_month")[1] - x for x, p in zip(xs, chosen,
                                                                            strict=True)]]
        yerr = [[y - p.score.spread("mean_cash")[0] / scale for y, p in zip(ys, chosen,
                                                                             strict=True)],
                [p.score.spread("mean_cash")[1] / scale - y for y, p in zip(ys, chosen,
                                                                             strict=True)]]
        style = "-" if "planned" in name else "--"
        axis.errorbar(xs, ys, xerr=xerr, yerr=yerr, fmt=f"o{style}", capsize=2, markersize=4,
                      color=SERIES_COLOURS[(i + 1) % len(SERIES_COLOURS)], label=name,
                      linewidth=1.2, elinewidth=0.7)
    return _save_cash_by_visits(figure, axis, "test seeds", title, path)


def _save_cash_by_visits(figure, axis, seeds: str, title: str, path: Path) -> Path:
    """Label a mean-cash-against-visits plot (visits on `seeds`), save it and close it."""
    axis.set_xlabel(f"visits a month ({seeds})")
    axis.set_ylabel("mean cash held (thousands)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, frameon=False)
    axis.set_title(title, loc="left", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path
