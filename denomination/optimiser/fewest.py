"""The fewest-notes wish by a lean exact search, and the fewest notes that pay an amount.

The fewest-notes objective (model.objective_weights) charges each note a constant (the wish
and note-count weights) plus its cassette's inventory-health cost and tie-break rank, so a mix
costs its note count first and its notes' prices after. search.py finds that optimum too, but
its general levels (wished ranges, fill bounds) cost more to set up than this wish needs: here
a depth-first search over the denominations, largest first and most notes first, bounds a
branch by the notes the amount left still needs (at least that amount over the largest note
left), priced at the cheapest note left, and stops a level's loop as soon as fewer notes of it
cannot pay what is left within the limit or the best mix's note count: that need only grows
as the level's count falls.

The search proves its answer optimal and unique; it gives up (None) when two mixes tie at the
optimum, whose choice is search.py's, or when it runs out of its work limit. The same search
with every note priced alike says in how few notes a stock pays an amount (least_notes, for the
explanations of an unpayable amount).

Most plans need no prices at all. When each cassette has a note of its own (notes ascending
with ids), the search first runs with every note costing 1 (_fewest_counts); if only one mix
pays in the fewest notes, it is the priced search's answer too, found within the same work:
- a mix with fewer notes always costs less (the weights are lexicographic: the price of a note
  is per_note plus less than per_note / note limit), so the priced optimum has the fewest
  notes, and when one mix alone has that few it is the optimum, untied;
- the priced search weighs no count the count search does not: both try counts in the same
  order and cut alike on what the notes left can pay and on the best mix's note count; the
  priced one also cuts a branch that cannot beat the best mix's price, which never holds a mix
  of fewer notes (it would cost less), so both always hold a best mix of the same note count.
  So the priced search finishes wherever the count search does, within the work it took.
(Both hold while a price times the note limit stays well below the searches' unbounded
starting cost, which fewest_mix checks.) Ties on note count and searches out of work go to
the priced search. The count search's answer depends on the levels' notes (note in steps, most
notes each may give) and not on health, so it is remembered: on a terminal those change only
when a cassette runs low, while health costs change as notes go out.

Plans are answered on every request, so the code keeps to plain loops over a few lists: each
object it creates costs time and brings the next garbage collection nearer
(bench/optimiser.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from math import gcd

from denomination.cassettes import Cassette
from denomination.optimiser.data import MixData
from denomination.optimiser.model import objective_weights

#: Counts of a denomination the search may weigh before it gives up. The demo terminal's
#: fewest-notes requests need a few dozen (bench/optimiser.py); the limit caps a hard case at
#: about a millisecond before the general search takes over.
WORK_LIMIT = 3000
#: Work the search by note count alone may take before the priced search decides (the demo
#: terminal's requests need a few dozen), and how many of its answers are remembered.
COUNT_WORK = WORK_LIMIT // 10
COUNT_CACHE = 4096

_UNBOUNDED = 1 << 62


class OutOfWork(Exception):
    """The search ran out of its work limit before a proof."""


#: What search_fewest says when no mix pays the amount.
NO_MIX = (None, None)


def search_fewest(data: MixData
                  ) -> tuple[dict[str, int], dict[int, int]] | tuple[None, None] | None:
    """Return the proven, unique optimum of the fewest-notes wish as (cassette id -> notes, ids
    ascending; denomination -> notes, largest first), without zeros; NO_MIX when no mix pays
    the amount; None when two mixes tie at the optimum or the work limit ran out (search.py
    decides those).

    A pair rather than a dataclass: it is taken apart at once, and on a cold cache (after
    other work) building a frozen dataclass costs about as much as a tenth of the search.
    """
    health = data.health
    return fewest_mix(data.amount, data.usable, data.step, data.max_notes,
                      lambda usable: [health[cassette.id] for cassette in usable])


def fewest_mix(amount: int, usable: Sequence[Cassette], step: int, limit: int,
               health_costs: Callable[[Sequence[Cassette]], list[int]], *,
               work: int = WORK_LIMIT
               ) -> tuple[dict[str, int], dict[int, int]] | tuple[None, None] | None:
    """Return search_fewest's answer for the data's parts: `usable` the cassettes by id, `step`
    the gcd of their notes, `limit` the note limit, and `health_costs(usable)` their
    inventory-health cost per note in the same order (each at most HEALTH_CAP), asked for only
    when the priced search runs; `work`: the searches' work limit.
    """
    if amount % step:
        return NO_MIX
    shape = _ascending_shape(amount, usable, step, limit)
    if shape is not None and shape[0] and shape[0][-1] * step == amount:
        # One note pays it, and only one cassette has that note.
        return {usable[len(shape[0]) - 1].id: 1}, {amount: 1}
    weights = objective_weights(len(usable), limit)
    per_note, health_weight = weights.wish + weights.notes, weights.health
    if shape is not None and 2 * per_note * limit <= _UNBOUNDED:
        units, mosts = shape
        counts = _fewest_counts(amount // step, limit, tuple(units), tuple(mosts),
                                min(COUNT_WORK, work))
        if counts == NO_COUNTS:
            return NO_MIX
        if counts is not None:
            return _one_each_mix(counts, usable, units, step)
    return _priced_mix(amount, usable, step, limit, shape, per_note, health_weight,
                       health_costs(usable), work)


def _priced_mix(amount: int, usable: Sequence[Cassette], step: int, limit: int,
                shape: tuple[list[int], list[int]] | None, per_note: int, health_weight: int,
                health: list[int], work: int
                ) -> tuple[dict[str, int], dict[int, int]] | tuple[None, None] | None:
    """Return fewest_mix's answer by the search with the objective's prices (per_note, plus
    health_weight times each cassette's `health` cost and its rank), on the levels of `shape`
    (_ascending_shape's) or, without one, of the givers sorted by note and price."""
    if shape is not None:
        prices = [per_note + rank + health_weight * cost for rank, cost in enumerate(health)]
        levels: _Levels = _OneEach(shape[0], shape[1], prices)
    else:
        givers = _givers(usable, health, per_note, health_weight, amount, limit)
        if givers and givers[-1][0] == amount:
            # One note pays it, so nothing beats its cheapest cassette (prices all differ).
            rank = next(giver[2] for giver in givers if giver[0] == amount)
            return {usable[rank].id: 1}, {amount: 1}
        levels = _Levels(givers, amount, limit, step)
    try:
        counts, tied = levels.best_mix(amount // step, limit, per_note, work=work)
    except OutOfWork:
        return None
    if counts is None:
        return NO_MIX
    if tied:
        return None
    return levels.mix(counts, usable, step)


def _ascending_shape(amount: int, usable: Sequence[Cassette], step: int, limit: int
                     ) -> tuple[list[int], list[int]] | None:
    """Return the levels of the cassettes whose note fits in `amount`: each one's note in steps
    and the most notes it may give; None unless the cassettes' notes strictly ascend in their
    order (by id: then each denomination is one cassette's, in the search's order)."""
    units, mosts = [], []
    last = 0
    for cassette in usable:
        denomination = cassette.denomination
        if denomination <= last:
            return None
        last = denomination
        if denomination <= amount:
            most = cassette.count
            fits = amount // denomination
            if fits < most:
                most = fits
            if limit < most:
                most = limit
            units.append(denomination // step)
            mosts.append(most)
    return units, mosts


#: What _fewest_counts says when no mix pays the amount.
NO_COUNTS = ()


@lru_cache(maxsize=COUNT_CACHE)
def _fewest_counts(amount: int, limit: int, units: tuple[int, ...], mosts: tuple[int, ...],
                   work: int) -> tuple[int, ...] | None:
    """Return the notes per level of the only mix that pays `amount` (in steps) in the fewest
    notes, from levels of `units` giving at most `mosts` notes each within `limit` notes;
    NO_COUNTS when no mix pays it; None when mixes tie on their notes or `work` ran out (the
    priced search decides those).

    The priced search's answer, without prices (see the module docstring). Remembered: the
    answer depends on the levels' notes alone, and those change only as a cassette runs low,
    while prices change with every note taken from a cassette.
    """
    try:
        counts, tied = _OneEach(units, mosts, None).best_mix(amount, limit, 1, work=work)
    except OutOfWork:
        return None
    if counts is None:
        return NO_COUNTS
    return None if tied else tuple(counts)


def _one_each_mix(counts: Sequence[int], usable: Sequence[Cassette], units: Sequence[int],
                  step: int) -> tuple[dict[str, int], dict[int, int]]:
    """Return the mix of `counts` (notes per level, level i being cassette i of `usable`, of
    notes `units` in steps) as _Levels.mix does: ids ascending, denominations largest first."""
    by_cassette = {}
    for level, take in enumerate(counts):
        if take:
            by_cassette[usable[level].id] = take
    by_denomination = {}
    for level in range(len(counts) - 1, -1, -1):
        if counts[level]:
            by_denomination[units[level] * step] = counts[level]
    return by_cassette, by_denomination


def _givers(usable: Sequence[Cassette], health: list[int], per_note: int, health_weight: int,
            amount: int, limit: int) -> list[tuple[int, int, int, int]]:
    """Return (denomination, price of a note, rank, notes it may give) of each cassette that
    can give a note, by denomination and price."""
    givers = []
    for rank, cassette in enumerate(usable):
        denomination, cap = cassette.denomination, cassette.count
        fits = amount // denomination
        if fits < cap:
            cap = fits
        if limit < cap:
            cap = limit
        if cap:   # a note above the amount is in no mix
            givers.append((denomination, per_note + rank + health_weight * health[rank],
                           rank, cap))
    givers.sort()
    return givers


def least_notes(amount: int, stock: Mapping[int, int], max_notes: int | None, *,
                first: bool = False, work: int = WORK_LIMIT) -> int | None:
    """Return the fewest notes that pay `amount` from `stock` (denomination -> notes it may
    give) within `max_notes` (None: any number), or None when no mix does; `first`: the notes
    of the first mix found, enough to know whether one exists.

    Raises OutOfWork when `work` counts of a denomination were weighed before an answer.
    """
    # One level a denomination, smallest first (_OneEach's levels, every note costing 1).
    denominations, mosts = [], []
    step = limit = 0
    for denomination in sorted(stock):
        most = amount // denomination
        if stock[denomination] < most:
            most = stock[denomination]
        if most:
            denominations.append(denomination)
            mosts.append(most)
            step = gcd(step, denomination)
            limit += most
    if not step or amount % step:
        return None
    units = [denomination // step for denomination in denominations]
    if max_notes is not None and max_notes < limit:
        limit = max_notes
    counts, _ = _OneEach(units, mosts, None).best_mix(amount // step, limit, 1, first=first,
                                                      work=work)
    return None if counts is None else sum(counts)


class _Levels:
    """The search's levels, smallest note first: each denomination's unit (in steps), the most
    notes it gives and the cost of 0..most of them, and figures on it and the smaller ones
    together: the most they pay, their units' gcd and their cheapest note.

    Built from givers (denomination, price, id, notes), sorted by denomination and price; the
    givers of level i are givers[starts[i]:starts[i + 1]], the cheapest first (the optimum
    within a denomination, as their prices all differ).
    """

    __slots__ = ("units", "mosts", "costs", "reach", "divisor", "cheapest", "starts", "givers")

    def __init__(self, givers: list[tuple[int, int, object, int]], amount: int, limit: int,
                 step: int):
        units, mosts, costs, reach, divisor, cheapest, starts = [], [], [], [], [], [], [0]
        paid = common = 0
        least = _UNBOUNDED
        count = len(givers)
        index = 0
        while index < count:
            denomination, price, _, most = givers[index]
            end = index + 1
            while end < count and givers[end][0] == denomination:
                end += 1
            if end == index + 1:
                level_costs: Sequence[int] = range(0, price * (most + 1), price)
            else:
                most = min(sum(givers[i][3] for i in range(index, end)), limit,
                           amount // denomination)
                level_costs = [0]
                for i in range(index, end):
                    _, giver_price, _, cap = givers[i]
                    base = level_costs[-1]
                    level_costs.extend([base + giver_price * n for n in range(1, cap + 1)])
                del level_costs[most + 1:]
            unit = denomination // step
            paid += unit * most
            common = gcd(common, unit)
            if price < least:
                least = price
            units.append(unit)
            mosts.append(most)
            costs.append(level_costs)
            reach.append(paid)
            divisor.append(common)
            cheapest.append(least)
            starts.append(end)
            index = end
        self.units, self.mosts, self.costs, self.starts = units, mosts, costs, starts
        self.reach, self.divisor, self.cheapest = reach, divisor, cheapest
        self.givers = givers

    def mix(self, counts: list[int], usable: Sequence[Cassette], step: int
            ) -> tuple[dict[str, int], dict[int, int]]:
        """Return the mix of `counts` (notes per level) as search_fewest does, each level's
        notes given by its cheapest cassettes first (givers of rank, cassette of `usable`)."""
        givers, units, starts = self.givers, self.units, self.starts
        given = [0] * len(usable)
        by_denomination = {}
        for level in range(len(counts) - 1, -1, -1):
            take = counts[level]
            if take:
                by_denomination[units[level] * step] = take
                for giver in range(starts[level], starts[level + 1]):
                    _, _, rank, cap = givers[giver]
                    give = take if take < cap else cap
                    given[rank] = give
                    take -= give
                    if not take:
                        break
        by_cassette = {}
        for rank, cassette in enumerate(usable):
            if given[rank]:
                by_cassette[cassette.id] = given[rank]
        return by_cassette, by_denomination

    def best_mix(self, amount: int, notes: int, note_cost: int, *, first: bool = False,
                 work: int = WORK_LIMIT) -> tuple[list[int] | None, bool]:
        """Return (notes per level of the cheapest mix that pays `amount` within `notes`
        notes, or None when none does; whether another mix costs the same), each note costing
        at least `note_cost` (> 0); `first` stops at the first mix found.

        Raises OutOfWork when `work` counts were weighed before a proof.
        """
        units, mosts, costs = self.units, self.mosts, self.costs
        reach, divisor, cheapest = self.reach, self.divisor, self.cheapest
        count = len(units)
        if not count or amount > reach[-1] or amount % divisor[-1] \
                or -(-amount // units[-1]) > notes:
            return None, False
        best_cost, best, tied = _UNBOUNDED, None, False
        # A path whose notes would outnumber the limit, or cost more than the best mix at
        # note_cost each, is cut: it needs more than `spare` notes beyond those left to it.
        spare = _spare(best_cost, note_cost, notes)
        # The path being tried: notes taken at each level, and on entering it the amount
        # left, the notes left and the cost so far. A level's loop runs its take down to 0,
        # or is cut short; then the search goes back up a level (a level's take is set afresh
        # each time it is entered, and a mix found copies only the levels on its path).
        take, left, room, spent = [0] * count, [0] * count, [0] * count, [0] * count
        level = count - 1
        left[level], room[level] = amount, notes
        take[level] = min(mosts[level], amount // units[level], notes) + 1
        work -= take[level]
        if work < 0:
            raise OutOfWork
        while level < count:
            here = take[level] - 1
            if here < 0:
                level += 1
                continue
            take[level] = here
            rest = left[level] - here * units[level]
            total = spent[level] + costs[level][here]
            if rest:
                if not level:
                    level = 1   # the smallest level pays what is left exactly, or nothing
                    continue
                below = level - 1
                # Fewer notes here leave more to pay in smaller notes: once that is beyond
                # their reach, or needs more notes than the limit or the best mix allow, so
                # does every smaller count of this level.
                if rest > reach[below]:
                    level += 1
                    continue
                needed = -(-rest // units[below])
                notes_left = room[level] - here
                if needed - notes_left > spare:
                    level += 1
                    continue
                if rest % divisor[below] or total + needed * cheapest[below] > best_cost:
                    continue
                if below:
                    level = below
                    left[level], room[level], spent[level] = rest, notes_left, total
                    top = mosts[level]
                    fits = rest // units[level]
                    if fits < top:
                        top = fits
                    if notes_left < top:
                        top = notes_left
                    take[level] = top + 1
                    work -= top + 1
                    if work < 0:
                        raise OutOfWork
                    continue
                take[0] = needed   # the smallest level pays the rest: its notes are forced
                total += costs[0][needed]
                depth = 0
            else:
                depth = level
            if total < best_cost:
                best_cost, best, tied = total, take[:], False
                for lower in range(depth):   # the levels below `depth` give nothing
                    best[lower] = 0
                if first:
                    break
                spare = _spare(best_cost, note_cost, notes)
            elif total == best_cost:
                tied = True
        return best, tied


def _spare(best_cost: int, note_cost: int, notes: int) -> int:
    """Return how many notes beyond those left a path may still need: none past the limit,
    and (notes taken + needed) * note_cost within best_cost, in whole notes."""
    spare = best_cost // note_cost - notes
    return spare if spare < 0 else 0


class _OneEach(_Levels):
    """The levels of cassettes whose notes strictly ascend in id order (each denomination is
    one cassette's, the common terminal): _Levels built in one pass from each level's note in
    steps (`units`), the most notes it may give (`mosts`) and the price of a note (`prices`;
    None: every note costs 1, for a search by note count), without givers to sort; level i is
    cassette i, which gives all of the level's notes.
    """

    __slots__ = ()

    def __init__(self, units: Sequence[int], mosts: Sequence[int], prices: list[int] | None):
        costs, reach, divisor, cheapest = [], [], [], []
        paid = common = 0
        least = _UNBOUNDED
        for level in range(len(units)):
            unit, most = units[level], mosts[level]
            price = 1 if prices is None else prices[level]
            paid += unit * most
            common = gcd(common, unit)
            if price < least:
                least = price
            costs.append(range(0, price * (most + 1), price))
            reach.append(paid)
            divisor.append(common)
            cheapest.append(least)
        self.units, self.mosts, self.costs = units, mosts, costs
        self.reach, self.divisor, self.cheapest = reach, divisor, cheapest

    def mix(self, counts: list[int], usable: Sequence[Cassette], step: int
            ) -> tuple[dict[str, int], dict[int, int]]:
        """Return the mix of `counts` (notes per level) as _Levels.mix does."""
        return _one_each_mix(counts, usable, self.units, step)
