"""The report's figures (matplotlib, written as PNG): cassette levels, outcomes, visits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from denomination import default_catalogue
from denomination.money import face_value
from sim.traffic.metrics import Summary
from sim.traffic.simulation import PolicyRun
from sim.traffic.terminal import Terminal

DPI = 90
#: Distinct, print-safe line colours for up to six cassettes (smallest note first).
CASSETTE_COLOURS = ("#7048e8", "#1c7ed6", "#2b8a3e", "#e8590c", "#c2255c", "#495057")
OUTCOME_COLOURS = {"met": "#2b8a3e", "partly met": "#f59f00", "refused": "#c92a2a"}


def cassette_levels(runs: Mapping[str, PolicyRun], terminal: Terminal, path: Path,
                    title: str) -> Path:
    """Plot each cassette's notes (as % of its configured load) over time, one panel a policy."""
    exponent = default_catalogue().currency(terminal.currency).exponent
    names = list(runs)
    columns = 2 if len(names) > 1 else 1
    rows = (len(names) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(12, 2.6 * rows + 1.2), sharex=True,
                                sharey=True, squeeze=False)
    cassettes = terminal.cassettes
    for panel, name in zip(axes.flat, names, strict=False):
        run = runs[name]
        times = [s.at for s in run.samples]
        for i, cassette in enumerate(cassettes):
            share = [100 * s.counts[i] / cassette.count if cassette.count else 0
                     for s in run.samples]
            label = f"{cassette.id}: {face_value(cassette.denomination, exponent)}"
            panel.plot(times, share, color=CASSETTE_COLOURS[i % len(CASSETTE_COLOURS)],
                       linewidth=1.2, label=label)
        for visit in run.visits:
            panel.axvline(visit.at, color="#868e96", linewidth=0.6, linestyle=":")
        short = [s.at for s in run.samples if not s.common_payable]
        if short:
            panel.scatter(short, [-4] * len(short), marker="|", color="#c92a2a", s=30,
                          label="common amount unpayable")
        panel.set_title(name, fontsize=10, loc="left")
        panel.set_ylim(-8, 105)
        panel.grid(alpha=0.3)
        panel.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
        panel.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    for panel in axes.flat[len(names):]:
        panel.set_visible(False)
    for panel in axes[:, 0]:
        panel.set_ylabel("% of load")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    top = 1 - 0.9 / figure.get_figheight()
    figure.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.01, top + 0.01),
                  ncol=len(labels), fontsize=9, frameon=False,
                  title=f"cassette: note ({terminal.currency}); dotted line: a visit",
                  title_fontsize=8, alignment="left")
    figure.suptitle(title, x=0.01, ha="left", fontsize=12)
    figure.tight_layout(rect=(0, 0, 1, top - 0.02))
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def outcomes(summaries: Sequence[Summary], path: Path, title: str) -> Path:
    """Plot met / partly met / refused shares per policy as horizontal stacked bars."""
    figure, axis = plt.subplots(figsize=(10, 0.55 * len(summaries) + 1.4))
    names = [s.policy for s in summaries][::-1]
    left = [0.0] * len(names)
    for label, values in (("met", [s.met for s in summaries][::-1]),
                          ("partly met", [s.partial for s in summaries][::-1]),
                          ("refused", [s.refused for s in summaries][::-1])):
        shares = [100 * v for v in values]
        bars = axis.barh(names, shares, left=left, color=OUTCOME_COLOURS[label], label=label)
        for bar, share in zip(bars, shares, strict=True):
            if share >= 4:
                axis.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                          f"{share:.1f}%", ha="center", va="center", color="white", fontsize=9)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axis.set_xlim(0, 100)
    axis.set_xlabel("% of withdrawals")
    axis.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axis.set_title(title, loc="left", fontsize=11, pad=24)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path
