"""The demand stream: every withdrawal of a study, drawn once so that every policy sees the same."""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from itertools import accumulate

from denomination import Preference, PreferenceKind
from sim.traffic.day_level import day_multiplier
from sim.traffic.profile import DemandProfile


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One customer: when (local time), how much (minor units) and what they wish for.

    `wish` labels the wish (fewest, small, mixed, no_largest, counts); `preference` is the
    wish as the optimiser reads it.
    """

    index: int
    at: datetime
    amount: int
    wish: str
    preference: Preference


@dataclass(frozen=True, slots=True)
class Day:
    """One simulated day: its calendar level, its noise factor, and the expected withdrawals."""

    day: date
    level: float
    noise: float
    expected: float


def generate_demand(profile: DemandProfile, denominations: tuple[int, ...], note_limit: int,
                    days: int, seed: int) -> tuple[tuple[Withdrawal, ...], tuple[Day, ...]]:
    """Return the withdrawals of `days` days from `profile.start`, and the days' levels.

    One `random.Random(seed)` draws everything, so the stream is reproducible. `denominations`
    (the notes the terminal loads, minor units) shape the wishes that name notes: "no largest"
    and own counts. Arrivals are a Poisson process within each hour.
    """
    rng = random.Random(seed)
    amounts = [a for a, _ in profile.amounts]
    amount_cdf = list(accumulate(p for _, p in profile.amounts))
    wishes = [w for w, _ in profile.wishes]
    wish_cdf = list(accumulate(p for _, p in profile.wishes))
    stream: list[Withdrawal] = []
    levels = []
    for offset in range(days):
        day = profile.start + timedelta(days=offset)
        level = day_multiplier(day, profile)
        noise = rng.lognormvariate(-profile.noise_sigma ** 2 / 2, profile.noise_sigma)
        if rng.random() < profile.outage_probability:
            noise *= rng.uniform(0, profile.outage_scale_max)
        expected = profile.per_day * level * noise
        levels.append(Day(day, level, noise, expected))
        midnight = datetime.combine(day, datetime.min.time())
        for hour, share in enumerate(profile.hour_shares):
            rate = expected * share
            moment = 0.0
            while rate > 0:
                moment += rng.expovariate(rate)
                if moment >= 1:
                    break
                amount = amounts[min(bisect(amount_cdf, rng.random()), len(amounts) - 1)]
                wish = wishes[min(bisect(wish_cdf, rng.random()), len(wishes) - 1)]
                at = midnight + timedelta(hours=hour + moment)
                preference = wish_preference(wish, amount, denominations, note_limit,
                                             profile.counts_max_notes, rng)
                label = "fewest" if preference.kind == PreferenceKind.FEWEST else wish
                stream.append(Withdrawal(len(stream), at.replace(microsecond=0), amount, label,
                                         preference))
    return tuple(stream), tuple(levels)


def wish_preference(wish: str, amount: int, denominations: tuple[int, ...], note_limit: int,
                    max_notes: int, rng: random.Random) -> Preference:
    """Return the Preference a customer with `wish` asks for when withdrawing `amount`.

    `no_largest` excludes the largest loaded note below or at the amount; `counts` is a random
    composition of the amount from the loaded notes in at most `max_notes` notes, built largest
    parts first. Both fall back to fewest when the amount leaves no such choice.
    """
    if wish in ("small", "mixed", "fewest"):
        return Preference(PreferenceKind(wish))
    usable = tuple(d for d in denominations if d <= amount)
    if wish == "no_largest" and len(usable) > 1:
        return Preference(PreferenceKind.BOUNDS, exclude=(usable[-1],))
    if wish == "counts":
        counts = random_composition(amount, usable, min(max_notes, note_limit), rng)
        if counts:
            return Preference(PreferenceKind.COUNTS, counts=tuple(sorted(counts.items())))
    return Preference(PreferenceKind.FEWEST)


def random_composition(amount: int, denominations: tuple[int, ...], max_notes: int,
                       rng: random.Random) -> dict[int, int] | None:
    """Return denomination -> notes paying `amount` exactly in at most `max_notes` notes, each
    note drawn among the three largest that still leave a payable rest; None when impossible."""
    counts: dict[int, int] = {}
    left, notes = amount, 0
    while left:
        fits = [d for d in denominations if d <= left
                and _fewest(left - d, denominations) <= max_notes - notes - 1]
        if not fits:
            return None
        note = rng.choice(fits[-3:])
        counts[note] = counts.get(note, 0) + 1
        left, notes = left - note, notes + 1
    return counts


@cache
def _fewest(amount: int, denominations: tuple[int, ...]) -> float:
    """Fewest notes that pay `amount` from unlimited `denominations` (inf when none do)."""
    if amount == 0:
        return 0
    return min((_fewest(amount - d, denominations) + 1 for d in denominations if d <= amount),
               default=math.inf)
