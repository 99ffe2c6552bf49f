"""An exact search that solves every wish without CP-SAT when it can, with the model's objective.

The model's objective (model.objective_weights, the same weights here) adds up, per
denomination, what the wish charges for its note count and what inventory health, notes and the
tie-break charge for those notes. Within a denomination the cheapest cassettes give first, which
is optimal because their per-note costs all differ. What the wishes charge:

- fewest, counts, bounds: the distance of each count from a range (fewest wants 0 of every
  note, so it charges the number of notes; counts wants exactly the asked count; bounds wants
  [min, max], an exclusion being max 0);
- mixed: one for each denomination below the amount that gives no note;
- small: nothing per denomination, but the largest note used and the notes over the budget.
  The least notes over the budget is what the fewest-notes mix leaves over it, so the search
  tries ceilings from the smallest note up, within that many notes, and the first ceiling that
  pays is the wish's optimum; among its mixes the lower-ranked costs decide.

A depth-first branch and bound over the denominations, largest first, finds the optimum: each
node bounds what its remaining denominations must at least cost (how far the amount left is
from what their wished ranges pay, how many denominations it leaves out, the notes it still
needs), and a branch that cannot beat the best mix found so far is cut. The search proves its
answer optimal, or that no mix exists, unless it runs out of its work budget; then it returns
None and plan_mix asks CP-SAT. tests/denomination/test_search.py checks it against the CP-SAT
model and against brute force.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import reduce
from itertools import accumulate
from math import gcd, lcm

from denomination.optimiser.data import MixData
from denomination.optimiser.model import most_notes, objective_weights
from denomination.preferences import PreferenceKind

#: Counts of a denomination the search may weigh for one wish (each costs a bound) before it
#: leaves the wish to CP-SAT. Wishes on the demo terminal need a few dozen to a few hundred
#: (bench/optimiser.py); the budget caps the rare hard case at about the cost of a CP-SAT solve.
WORK_BUDGET = 3000

_UNBOUNDED = 1 << 62


@dataclass(frozen=True, slots=True)
class SearchResult:
    """`counts` (cassette id -> notes) of the proven optimum, or None when no mix pays."""

    counts: dict[str, int] | None


@dataclass(slots=True)
class _Level:
    """One denomination (in units of the data's step): the cost of 0..most of its notes, its
    cassettes cheapest first, and figures on this level and all smaller ones together (the
    suffix) that the bounds need."""

    unit: int
    most: int
    cost: Sequence[int]            # full objective of 0..most notes of it
    cassettes: list[tuple[str, int]]   # (id, notes it may give), cheapest first
    reach: int                     # most the suffix can pay
    divisor: int                   # gcd of the suffix's denominations
    largest: int                   # the suffix's largest denomination
    note_price: int                # least lower-ranked cost of one note in the suffix
    fill_starts: list[int]         # the suffix's notes as a continuous fill, cheapest amount
    fill_costs: list[int]          # first: where each cassette's notes start, what the fill
    fill_rates: list[tuple[int, int]]   # costs there, and (price, denomination) of its notes
    empty: int                     # cost of the suffix giving no note at all
    low: int                       # least the suffix pays within its wished ranges
    high: int                      # most the suffix pays within its wished ranges
    floor: int                     # notes the suffix is short of its ranges whatever it gives
    wanted_notes: int              # notes the suffix needs to reach its ranges
    spread: tuple[int, ...]        # mixed: running sums of its wished denominations, ascending


#: Least wish cost of a suffix (level index, amount left, notes left), without the weight.
WishBound = Callable[[_Level, int, int], int]


class Budget:
    """Work the search may still do: counts of a denomination to weigh, each costing a bound."""

    __slots__ = ("left",)

    def __init__(self, left: int = WORK_BUDGET):
        self.left = left


def search(data: MixData, budget: Budget | None = None) -> SearchResult | None:
    """Return the optimum of the data's wish (any kind but options) by branch and bound, or
    None when the work budget (WORK_BUDGET unless given) ran out before a proof."""
    budget = budget or Budget()
    if data.preference.kind == PreferenceKind.SMALL:
        return _small(data, budget)
    mixed = data.preference.kind == PreferenceKind.MIXED
    levels = _levels(data, _wished_ranges(data), spread_wanted=mixed)
    return _solve(data, levels, 0, data.max_notes, _mixed_bound if mixed else _ranged_bound,
                  budget)


def _small(data: MixData, budget: Budget) -> SearchResult | None:
    """Small: the notes over budget are what the fewest-notes mix leaves over it; then the
    smallest ceiling that pays within that many notes; then the lower-ranked costs."""
    fewest = search(replace(data, preference=replace(data.preference,
                                                     kind=PreferenceKind.FEWEST)), budget)
    if fewest is None or fewest.counts is None:
        return fewest
    allowed = min(data.max_notes, max(min(data.preference.note_budget, data.max_notes),
                                      sum(fewest.counts.values())))
    levels = _levels(data, {})
    for top in range(len(levels) - 1, -1, -1):
        found = _solve(data, levels, top, allowed, _no_bound, budget)
        if found is None or found.counts is not None:
            return found
    return SearchResult(None)


def _solve(data: MixData, levels: list[_Level], top: int, notes: int, wish_bound: WishBound,
           budget: Budget) -> SearchResult | None:
    """Branch and bound over levels top.. (largest first) for the data's amount within `notes`
    notes; None when the budget ran out."""
    count = len(levels)
    amount = data.amount // data.step
    wish_weight = objective_weights(len(data.usable), data.max_notes).wish
    best_cost, best = _UNBOUNDED, None
    chosen = [0] * count
    left_work = budget.left

    def bound(index: int, left: int, notes_left: int) -> int:
        if left == 0:
            return levels[index].empty if index < count else 0
        if index == count:
            return _UNBOUNDED
        level = levels[index]
        if left > level.reach or left % level.divisor:
            return _UNBOUNDED
        needed = -(-left // level.largest)
        if needed > notes_left:
            return _UNBOUNDED
        # The lower-ranked costs are at least those of `needed` of the cheapest notes, and (when
        # some notes cost the wish nothing, so the wish's bound says nothing of them) at least
        # those of paying `left` in fractions of notes, cheapest per amount first.
        lower = needed * level.note_price
        if level.fill_starts:
            segment = bisect_right(level.fill_starts, left) - 1
            price, size = level.fill_rates[segment]
            filled = level.fill_costs[segment] + -(-(left - level.fill_starts[segment]) * price
                                                   // size)
            lower = filled if filled > lower else lower
        return wish_weight * wish_bound(level, left, notes_left) + lower

    def visit(index: int, left: int, notes_left: int, spent: int) -> bool:
        nonlocal best_cost, best, left_work
        level = levels[index]
        unit, costs = level.unit, level.cost
        most = min(level.most, left // unit, notes_left)
        left_work -= most + 1
        if left_work < 0:
            return False
        if index + 1 == count:
            if left == most * unit and spent + costs[most] < best_cost:
                chosen[index] = most
                best_cost, best = spent + costs[most], chosen[:]
            return True
        options = []
        for take in range(most, -1, -1):
            rest = bound(index + 1, left - take * unit, notes_left - take)
            if rest != _UNBOUNDED:
                total = spent + costs[take]
                if total + rest < best_cost:
                    options.append((total + rest, -take, total))
        options.sort()
        for least, negative, total in options:
            if least >= best_cost:
                break
            take = -negative
            chosen[index] = take
            if left == take * unit:
                chosen[index + 1:] = [0] * (count - index - 1)
                best_cost, best = least, chosen[:]
            elif not visit(index + 1, left - take * unit, notes_left - take, total):
                return False
        return True

    if top >= count or bound(top, amount, notes) == _UNBOUNDED:
        return SearchResult(None)
    finished = visit(top, amount, notes, sum(level.cost[0] for level in levels[:top]))
    budget.left = left_work
    if not finished:
        return None
    if best is None:
        return SearchResult(None)
    counts: dict[str, int] = {}
    for level, take in zip(levels, best, strict=True):
        for cid, most in level.cassettes:
            give = min(take, most)
            counts[cid] = give
            take -= give
    return SearchResult(counts)


def _ranged_bound(level: _Level, left: int, notes_left: int) -> int:
    """Each change of one note moves the amount by at most the suffix's largest note, so the
    distance from the ranges is at least how far `left` is from what they pay, in such notes;
    and notes the ranges want beyond `notes_left` are missing whatever the mix."""
    if left < level.low:
        gap = -(-(level.low - left) // level.largest)
    elif left > level.high:
        gap = -(-(left - level.high) // level.largest)
    else:
        gap = 0
    return level.floor + max(gap, level.wanted_notes - notes_left)


def _mixed_bound(level: _Level, left: int, notes_left: int) -> int:
    """A mix of `left` holds at most as many denominations as their smallest ones add up to
    within `left`, and one note each within `notes_left` (mixed wants one of each note below
    the amount: a range of at least 1)."""
    return len(level.spread) - min(bisect_right(level.spread, left), notes_left)


def _no_bound(level: _Level, left: int, notes_left: int) -> int:
    return 0


def _levels(data: MixData, ranges: dict[int, tuple[int, int]], *,
            spread_wanted: bool = False) -> list[_Level]:
    """Group the usable cassettes by denomination, price every count (the wish charges the
    distance from `ranges`, denomination -> (least, most) notes, absent meaning any count),
    order them for the search and add the suffix figures (`spread_wanted`: the mixed bound's).

    The denominations the wish names a range for come first, largest first, then the others,
    largest first: the counts of the named notes decide the wish's cost, and fixing them first
    lets the bound cut a branch before it enumerates the other notes (largest first throughout,
    "at least 55 x 100" within 40 notes would try every mix of the larger notes for each count
    of 100s).
    """
    weights = objective_weights(len(data.usable), data.max_notes)
    wish_weight, amount, limit, step = weights.wish, data.amount, data.max_notes, data.step
    grouped: dict[int, list[tuple[int, str, int]]] = {}
    for rank, cassette in enumerate(data.usable):
        denomination = cassette.denomination
        price = weights.notes + rank + weights.health * data.health[cassette.id]
        cap = min(cassette.count, most_notes(amount, limit, denomination))
        if not cap:   # a note above the amount: none of it in any mix, the same cost for all
            continue
        if denomination in grouped:
            grouped[denomination].append((price, cassette.id, cap))
        else:
            grouped[denomination] = [(price, cassette.id, cap)]
    raw = []
    for denomination in sorted(grouped, key=lambda d: (d not in ranges, -d)):
        units = grouped[denomination]
        least, top = ranges.get(denomination, (0, _UNBOUNDED))
        if len(units) == 1:
            cheapest, _, most = units[0]
            cost = _linear_costs(least, top, most, cheapest, wish_weight)
        else:
            units.sort()
            cheapest = units[0][0]
            most = min(sum(cap for _, _, cap in units), limit, amount // denomination)
            lower = [0]
            for unit_price, _, cap in units:
                base = lower[-1]
                lower.extend([base + unit_price * n for n in range(1, cap + 1)])
            cost = [wish_weight * (least - k if k < least else k - top if k > top else 0)
                    + lower[k] for k in range(most + 1)]
        raw.append((denomination, least, top, most, cost, cheapest, units))
    levels: list[_Level] = []
    reach = divisor = largest = low = high = floor = wanted = empty = 0
    price, wished, segments = _UNBOUNDED, [], []
    fill = not grouped.keys() <= ranges.keys()
    scale = reduce(lcm, (d // step for d in grouped), 1) if fill else 1
    starts = costs = rates = spread = ()
    for denomination, least, top, most, cost, cheapest, units in reversed(raw):
        unit = denomination // step
        if fill:
            for unit_price, _, cap in units:   # by price per amount: price * scale / unit
                insort(segments, (unit_price * (scale // unit), unit_price, unit, cap))
            starts, costs, rates, start, spent = [], [], [], 0, 0
            for _, unit_price, size, cap in segments:
                starts.append(start)
                costs.append(spent)
                rates.append((unit_price, size))
                start += size * cap
                spent += unit_price * cap
        reach += unit * most
        divisor = gcd(divisor, unit)
        if unit > largest:
            largest = unit
        if least:
            low += unit * (least if least < most else most)
            wanted += least if least < most else most
            if least > most:
                floor += least - most
            if spread_wanted and denomination < amount:
                insort(wished, unit)
                spread = tuple(accumulate(wished))
        high += unit * (top if top < most else most)
        if cheapest < price:
            price = cheapest
        empty += cost[0]
        levels.append(_Level(unit, most, cost, [(cid, cap) for _, cid, cap in units], reach,
                             divisor, largest, price, starts, costs, rates, empty, low, high,
                             floor, wanted, spread))
    levels.reverse()
    return levels


def _linear_costs(least: int, top: int, most: int, price: int,
                  wish_weight: int) -> Sequence[int]:
    """Return the cost of 0..most notes of one cassette at `price` a note when the wish
    charges each note short of `least` or over `top`: three arithmetic runs."""
    if not least and top >= most:
        return range(0, price * (most + 1), price)
    if not least and not top:
        return range(0, (wish_weight + price) * (most + 1), wish_weight + price)
    short = min(least, most + 1)
    within = min(top, most)
    costs = list(range(wish_weight * least, wish_weight * least - (wish_weight - price) * short,
                       price - wish_weight))
    costs += range(short * price, (within + 1) * price, price)
    over = wish_weight + price
    costs += range((within + 1) * over - wish_weight * top, (most + 1) * over - wish_weight * top,
                   over)
    return costs


def _wished_ranges(data: MixData) -> dict[int, tuple[int, int]]:
    """Return denomination -> (least, most) notes the wish asks for (absent: any count)."""
    preference, kind = data.preference, data.preference.kind
    if kind == PreferenceKind.FEWEST:
        return {c.denomination: (0, 0) for c in data.usable}
    if kind == PreferenceKind.COUNTS:
        wanted = dict(preference.counts)
        return {c.denomination: (wanted.get(c.denomination, 0),) * 2 for c in data.usable}
    if kind == PreferenceKind.MIXED:
        return {c.denomination: (1, _UNBOUNDED) for c in data.usable
                if c.denomination < data.amount}
    if kind != PreferenceKind.BOUNDS:
        return {}
    ranges = {d: (least, _UNBOUNDED) for d, least in preference.minimum}
    for denomination, most in preference.maximum:
        ranges[denomination] = (ranges.get(denomination, (0,))[0], most)
    for denomination in preference.exclude:
        ranges[denomination] = (ranges.get(denomination, (0,))[0], 0)
    return ranges
