"""Demand from a terminal's own record: streams of days resampled from its recent history.

Each stream is `days` days long from `first_day`; each of its days replays one recorded day
(its withdrawals at their times of day), drawn with replacement among the recorded days of the
same weekday when there are any, else among all. Days without withdrawals count: a quiet
Sunday is demand too. One `random.Random` per stream, so the streams are reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sim.traffic.demand import Withdrawal

#: Stream i is drawn by random.Random(seed * STREAM_STRIDE + i).
STREAM_STRIDE = 7919


def resampled_streams(history: Sequence[Withdrawal], history_start: date, history_days: int,
                      *, first_day: date, days: int, count: int,
                      seed: int = 0) -> tuple[tuple[Withdrawal, ...], ...]:
    """Return `count` streams of `days` days from `first_day`, each day a recorded day of the
    `history_days` days from `history_start` (withdrawals outside them are ignored)."""
    by_day: dict[date, list[Withdrawal]] = {history_start + timedelta(days=i): []
                                            for i in range(history_days)}
    for withdrawal in sorted(history, key=lambda w: w.at):
        if withdrawal.at.date() in by_day:
            by_day[withdrawal.at.date()].append(withdrawal)
    recorded = sorted(by_day)
    by_weekday = {w: [d for d in recorded if d.weekday() == w] for w in range(7)}
    streams = []
    for number in range(count):
        rng = random.Random(seed * STREAM_STRIDE + number)
        stream: list[Withdrawal] = []
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            source = rng.choice(by_weekday[day.weekday()] or recorded)
            midnight = datetime.combine(day, datetime.min.time())
            for w in by_day[source]:
                at = midnight + (w.at - datetime.combine(source, datetime.min.time()))
                stream.append(Withdrawal(len(stream), at, w.amount, w.wish, w.preference))
        streams.append(tuple(stream))
    return tuple(streams)
