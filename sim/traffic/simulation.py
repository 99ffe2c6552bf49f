"""The simulation loop: one policy serves a demand stream on a terminal, hour by hour."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from denomination import Cassette, NotDispensable, dispensable_amounts
from sim.traffic.demand import Withdrawal
from sim.traffic.policies import Policy
from sim.traffic.replenishment import Replenishment
from sim.traffic.terminal import Terminal

MET, PARTIAL, REFUSED = "met", "partial", "refused"
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one customer got under one policy: `result` is met, partial (paid, wish not met
    exactly) or refused (amount not payable); `notes` pairs denomination and notes given."""

    index: int
    at: datetime
    amount: int
    wish: str
    result: str
    notes: tuple[tuple[int, int], ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """The cassettes at the start of an hour (counts in the terminal's cassette order), and
    whether every common amount could be paid then."""

    at: datetime
    counts: tuple[int, ...]
    common_payable: bool


@dataclass(frozen=True, slots=True)
class Visit:
    """A replenishment: why (scheduled or low), the counts it found and their value (idle cash)."""

    at: datetime
    reason: str
    found: tuple[int, ...]
    idle_value: int


@dataclass(frozen=True, slots=True)
class PolicyRun:
    """Everything one policy did over a study: per customer, per hour, per visit, and the first
    times a cassette emptied (with its id) and a common amount became unpayable."""

    policy: str
    start: datetime
    end: datetime
    outcomes: tuple[Outcome, ...]
    samples: tuple[Sample, ...]
    visits: tuple[Visit, ...]
    first_empty: tuple[datetime, str] | None
    first_unpayable: datetime | None


def simulate(policy: Policy, terminal: Terminal, stream: Sequence[Withdrawal], *, start: datetime,
             days: int, replenishment: Replenishment, common: tuple[int, ...],
             stop_when_unpayable: bool = False,
             progress: Callable[[int], None] | None = None) -> PolicyRun:
    """Serve `stream` with `policy` from the configured load, for `days` days from `start`.

    Visits follow `replenishment`; `common` (minor units) are the amounts whose payability is
    checked each hour. `stop_when_unpayable` ends the run at the first hour a common amount
    cannot be paid (a run-out study). `progress` receives each served withdrawal's count.
    Deterministic: the policies are, and the stream is given.
    """
    plan = policy.planner()
    load = {c.id: c.count for c in terminal.cassettes}
    cassettes = list(terminal.cassettes)
    end = start + timedelta(days=days)
    payable = _CommonCheck(terminal.currency, terminal.note_limit, common)
    outcomes: list[Outcome] = []
    samples: list[Sample] = []
    visits: list[Visit] = []
    first_empty: tuple[datetime, str] | None = None
    first_unpayable: datetime | None = None
    scheduled = replenishment.scheduled_after(start)
    called: datetime | None = None
    tick = start

    def visit(at: datetime, reason: str) -> None:
        nonlocal cassettes, scheduled, called
        found = tuple(c.count for c in cassettes)
        idle = sum(c.denomination * c.count for c in cassettes)
        visits.append(Visit(at, reason, found, idle))
        cassettes = [replace(c, count=load[c.id]) for c in cassettes]
        scheduled, called = replenishment.scheduled_after(at), None

    served = 0
    for withdrawal in (*stream, None):
        until = end if withdrawal is None else withdrawal.at
        while True:
            due = min((t for t in (scheduled, called) if t is not None), default=None)
            if due is not None and due <= min(until, tick) and due < end:
                visit(due, "low" if due == called else "scheduled")
                continue
            if tick > until or tick >= end:
                break
            ok = payable(cassettes)
            samples.append(Sample(tick, tuple(c.count for c in cassettes), ok))
            if not ok and first_unpayable is None:
                first_unpayable = tick
            tick += HOUR
        if withdrawal is None or withdrawal.at >= end:
            break
        if stop_when_unpayable and first_unpayable is not None:
            break
        outcome, cassettes = _serve(plan, terminal, cassettes, withdrawal)
        outcomes.append(outcome)
        if first_empty is None:
            emptied = next((c.id for c in cassettes if c.count == 0 and load[c.id] > 0), None)
            if emptied is not None:
                first_empty = (withdrawal.at, emptied)
        if called is None:
            called = replenishment.call_for(withdrawal.at, cassettes, load)
        served += 1
        if progress is not None:
            progress(served)
    return PolicyRun(policy.name, start, end, tuple(outcomes), tuple(samples), tuple(visits),
                     first_empty, first_unpayable)


def _serve(plan, terminal: Terminal, cassettes: list[Cassette],
           withdrawal: Withdrawal) -> tuple[Outcome, list[Cassette]]:
    """Plan one withdrawal and take its notes; return its outcome and the cassettes after it."""
    try:
        mix = plan(withdrawal.amount, terminal.currency, cassettes, withdrawal.preference,
                   terminal.note_limit)
    except NotDispensable as refusal:
        reasons = tuple(r.code for r in refusal.reasons)
        return Outcome(withdrawal.index, withdrawal.at, withdrawal.amount, withdrawal.wish,
                       REFUSED, (), reasons), cassettes
    taken = mix.by_cassette
    after = [replace(c, count=c.count - taken[c.id]) if c.id in taken else c for c in cassettes]
    return Outcome(withdrawal.index, withdrawal.at, withdrawal.amount, withdrawal.wish,
                   MET if mix.exact else PARTIAL, tuple(mix.by_denomination.items()),
                   tuple(r.code for r in mix.reasons)), after


class _CommonCheck:
    """Whether every common amount is payable; the answer depends on each denomination's stock
    only up to the note limit, so it is tabulated once per capped stock."""

    def __init__(self, currency: str, note_limit: int, common: tuple[int, ...]):
        self.currency, self.note_limit, self.common = currency, note_limit, common
        self.answers: dict[tuple, bool] = {}

    def __call__(self, cassettes: Sequence[Cassette]) -> bool:
        key = tuple(sorted((c.denomination, min(c.count, self.note_limit))
                           for c in cassettes if c.dispensable))
        if key not in self.answers:
            table = dispensable_amounts(self.currency, cassettes, self.note_limit)
            self.answers[key] = all(table.is_payable(a) for a in self.common)
        return self.answers[key]
