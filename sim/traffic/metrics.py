"""The figures a bank asks of a policy run: wishes met, refusals, notes used, stock-outs, visits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sim.traffic.simulation import MET, PARTIAL, REFUSED, PolicyRun
from sim.traffic.terminal import Terminal

DAYS_PER_MONTH = 30
#: The shortest run whose per-month figures the report shows: shorter runs say "n/a" (a 3-day
#: run with one visit is not "10 visits a month").
MIN_DAYS_FOR_MONTHLY = 28


@dataclass(frozen=True, slots=True)
class Summary:
    """One policy's figures over one run. Shares are fractions of all withdrawals; `chooser_met`
    is the met share among customers who asked for something other than fewest notes. Hours
    count from the start of the run (None: it did not happen). Money is in minor units.
    `visits_per_month` is scaled from the run's `days` (see `monthly`); `idle_cash` is None
    when nobody visited."""

    policy: str
    withdrawals: int
    met: float
    partial: float
    refused: float
    chooser_met: float
    notes_by_denomination: tuple[tuple[int, int], ...]
    notes_per_withdrawal: float
    dispensed_value: int
    first_empty_hours: float | None
    first_empty_cassette: str | None
    first_unpayable_hours: float | None
    hours_unpayable: int
    visits: int
    low_visits: int
    visits_per_month: float
    idle_cash: int | None
    mean_cash: int
    days: float

    @property
    def monthly(self) -> bool:
        """True when the run is long enough for per-month figures to mean something."""
        return self.days >= MIN_DAYS_FOR_MONTHLY


def summarise(run: PolicyRun, terminal: Terminal) -> Summary:
    """Return the figures of `run` on `terminal`."""
    outcomes = run.outcomes
    results = Counter(o.result for o in outcomes)
    total = max(len(outcomes), 1)
    choosers = [o for o in outcomes if o.wish != "fewest"]
    notes: Counter[int] = Counter()
    dispensed = 0
    for outcome in outcomes:
        for denomination, count in outcome.notes:
            notes[denomination] += count
        if outcome.result != REFUSED:
            dispensed += outcome.amount
    days = (run.end - run.start).total_seconds() / 86400
    denominations = [c.denomination for c in terminal.cassettes]
    values = [sum(d * n for d, n in zip(denominations, s.counts, strict=True))
              for s in run.samples]
    idle = [v.idle_value for v in run.visits]
    return Summary(
        policy=run.policy,
        withdrawals=len(outcomes),
        met=results[MET] / total,
        partial=results[PARTIAL] / total,
        refused=results[REFUSED] / total,
        chooser_met=sum(o.result == MET for o in choosers) / max(len(choosers), 1),
        notes_by_denomination=tuple(sorted(notes.items(), reverse=True)),
        notes_per_withdrawal=sum(notes.values()) / max(total - results[REFUSED], 1),
        dispensed_value=dispensed,
        first_empty_hours=_hours(run, run.first_empty[0]) if run.first_empty else None,
        first_empty_cassette=run.first_empty[1] if run.first_empty else None,
        first_unpayable_hours=_hours(run, run.first_unpayable) if run.first_unpayable else None,
        hours_unpayable=sum(not s.common_payable for s in run.samples),
        visits=len(run.visits),
        low_visits=sum(v.reason == "low" for v in run.visits),
        visits_per_month=len(run.visits) * DAYS_PER_MONTH / days if days else 0.0,
        idle_cash=round(sum(idle) / len(idle)) if idle else None,
        mean_cash=round(sum(values) / len(values)) if values else 0,
        days=days,
    )


def wish_met_by_kind(run: PolicyRun) -> dict[str, float]:
    """Return wish label -> share of those customers whose wish was met exactly."""
    asked: Counter[str] = Counter(o.wish for o in run.outcomes)
    met: Counter[str] = Counter(o.wish for o in run.outcomes if o.result == MET)
    return {wish: met[wish] / asked[wish] for wish in sorted(asked)}


def _hours(run: PolicyRun, moment) -> float:
    return (moment - run.start).total_seconds() / 3600
