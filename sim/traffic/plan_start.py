"""The planner's analytic start: loads and thresholds from the policy's own measured use.

The policy serves the train streams from an ample stock with no visits; from the hourly levels
comes each denomination's use over any window. Each cassette gets its use over the visit
interval less the lead time (a high quantile for small notes, which cost little cash to
over-load; near the median for the large ones, which should call the visit) plus a low
threshold that covers the lead time; the safety ladder raises the large notes' thresholds
step by step. Also the file's own proportions, as other anchors of the search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sim.traffic.evaluation import Candidate, Evaluator
from sim.traffic.metrics import DAYS_PER_MONTH
from sim.traffic.plan_target import Goal, Target
from sim.traffic.replenishment import Replenishment
from sim.traffic.terminal import Terminal

#: An ample stock, for measuring what the policy gives: notes per cassette.
AMPLE_NOTES = 50_000
#: Quantile of use over the interval less the lead time, for the smallest and the largest
#: note (in between by rank): small notes cost little cash, so they get the wider margin and
#: the large ones, near the median, call the visits.
LOAD_QUANTILE = (0.95, 0.5)
#: Quantile of use over the lead time that the low threshold covers, smallest to largest note.
THRESHOLD_QUANTILE = (0.9, 0.5)
#: The safety ladder: the largest note's threshold quantile raised step by step (the others in
#: between by rank), its load by as many notes: the refusals traded for cash at the same visits.
#: Fine steps near the start (0.05 costs about 2-3 % of the typical ATM's mean cash under
#: Cashmix), wider ones up to 0.9 for visit limits where the start refuses far too much.
SAFETY_QUANTILES = (0.55, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True, slots=True)
class Use:
    """Notes each cassette gave over every window of hours of the ample runs (sorted)."""

    hourly: tuple[tuple[tuple[int, ...], ...], ...]   # per run, per cassette, hourly counts

    def quantile(self, index: int, hours: int, q: float) -> int:
        """Return the q-quantile of the notes cassette `index` gave over `hours` hours."""
        given = []
        for counts in self.hourly:
            series = counts[index]
            width = min(hours, len(series) - 1)
            given += [series[t] - series[t + width] for t in range(len(series) - width)]
        if not given:
            return 0
        given.sort()
        return given[min(len(given) - 1, int(q * len(given)))]


def measure_use(terminal: Terminal, evaluator: Evaluator, policy: str,
                seeds: Sequence[int]) -> Use:
    """Return what `policy` gives per cassette when stock never binds, on the train seeds."""
    ample = replace(terminal, cassettes=tuple(
        replace(c, count=AMPLE_NOTES, capacity=None, low_threshold=0)
        for c in terminal.cassettes))
    runs = evaluator.runs(ample, policy, seeds, Replenishment.never())
    return Use(tuple(tuple(tuple(s.counts[i] for s in run.samples)
                           for i in range(len(terminal.cassettes))) for run in runs))


def analytic_start(terminal: Terminal, use: Use, target: Target, replenishment: Replenishment,
                   *, safety: float = THRESHOLD_QUANTILE[1]) -> Candidate:
    """Return the start load and thresholds for the target's visit interval (module doc);
    `safety` is the quantile of lead-time use the largest note's threshold covers."""
    lead = replenishment.lead_hours if replenishment.on_low else 0
    longest = (replenishment.every_days * 24 if replenishment.every_days
               else DAYS_PER_MONTH * 24)
    if target.goal == Goal.LEAST_CASH and target.max_visits:
        interval = min(longest, round(DAYS_PER_MONTH * 24 / target.max_visits))
        return _start_for(terminal, use, interval, lead, safety)
    best = _start_for(terminal, use, lead + 1, lead, safety)
    for interval in range(lead + 1, longest + 1, 6):
        candidate = _start_for(terminal, use, interval, lead, safety)
        if target.max_cash is not None and _expected_cash(terminal, use, candidate,
                                                          interval) > target.max_cash:
            break
        best = candidate
    return best


def _start_for(terminal: Terminal, use: Use, interval: int, lead: int,
               safety: float) -> Candidate:
    ranks = {d: r for r, d in enumerate(terminal.denominations)}
    top = max(len(ranks) - 1, 1)
    load, thresholds = [], []
    for i, cassette in enumerate(terminal.cassettes):
        share = ranks[cassette.denomination] / top
        q_load, q_low = (q[0] + (q[1] - q[0]) * share
                         for q in (LOAD_QUANTILE, (THRESHOLD_QUANTILE[0], safety)))
        threshold = use.quantile(i, lead, q_low) if lead else 0
        notes = use.quantile(i, max(interval - lead, 1), q_load) + threshold
        capacity = cassette.capacity or max(notes, cassette.count)
        notes = max(1, min(capacity, notes))
        load.append((cassette.id, notes))
        thresholds.append((cassette.id, min(threshold, notes - 1)))
    return Candidate(tuple(load), tuple(thresholds))


def _expected_cash(terminal: Terminal, use: Use, candidate: Candidate, interval: int) -> float:
    """Rough mean cash of a candidate: each cassette half-way through an interval's use."""
    load = dict(candidate.load)
    return sum(c.denomination * (load[c.id] - use.quantile(i, interval, 0.5) / 2)
               for i, c in enumerate(terminal.cassettes))


def proportional(terminal: Terminal, factor: float) -> Candidate:
    """Return the file's load times `factor` (whole notes, within capacity, above the low
    threshold), thresholds as in the file: the bank's proportions for other visits."""
    load = []
    for c in terminal.cassettes:
        notes = max(c.low_threshold + 1, round(c.count * factor))
        load.append((c.id, min(notes, c.capacity) if c.capacity else notes))
    return Candidate(tuple(load), tuple((c.id, c.low_threshold) for c in terminal.cassettes))


def large_notes_call(terminal: Terminal, start: Candidate) -> Candidate:
    """Return the start with the thresholds of the smaller half of the notes as in the file
    (capped below the load), so the large notes, which hold the cash, call the visits."""
    small = set(sorted(terminal.denominations)[:len(terminal.denominations) // 2])
    load = dict(start.load)
    return Candidate(start.load, tuple(
        (c.id, min(c.low_threshold, load[c.id] - 1) if c.denomination in small
         else dict(start.thresholds)[c.id]) for c in terminal.cassettes))
