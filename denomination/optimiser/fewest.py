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
explanations of an unpayable amount). Plans are answered on every request, so the code keeps
to plain loops over a few lists: each object it creates costs time and brings the next garbage
collection nearer (bench/optimiser.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import gcd

from denomination.cassettes import Cassette
from denomination.optimiser.data import MixData
from denomination.optimiser.model import objective_weights

#: Counts of a denomination the search may weigh before it gives up. The demo terminal's
#: fewest-notes requests need a few dozen (bench/optimiser.py); the limit caps a hard case at
#: about a millisecond before the general search takes over.
WORK_LIMIT = 3000

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
               health_costs: Callable[[Sequence[Cassette]], list[int]]
               ) -> tuple[dict[str, int], dict[int, int]] | tuple[None, None] | None:
    """Return search_fewest's answer for the data's parts: `usable` the cassettes by id, `step`
    the gcd of their notes, `limit` the note limit, and `health_costs(usable)` their
    inventory-health cost per note in the same order, asked for only when a search needs it.
    """
    if amount % step:
        return NO_MIX
    fitting = _fitting_ascending(amount, usable)
    if fitting is not None and fitting and usable[fitting - 1].denomination == amount:
        # One note pays it, and only one cassette has that note.
        return {usable[fitting - 1].id: 1}, {amount: 1}
    weights = objective_weights(len(usable), limit)
    per_note, health_weight = weights.wish + weights.notes, weights.health
    health = health_costs(usable)
    if fitting is not None:
        levels: _Levels = _OneEach(usable, fitting, health, per_note, health_weight, amount,
                                   limit, step)
    else:
        givers = _givers(usable, health, per_note, health_weight, amount, limit)
        if givers and givers[-1][0] == amount:
            # One note pays it, so nothing beats its cheapest cassette (prices all differ).
            rank = next(giver[2] for giver in givers if giver[0] == amount)
            return {usable[rank].id: 1}, {amount: 1}
        levels = _Levels(givers, amount, limit, step)
    try:
        counts, tied = levels.best_mix(amount // step, limit, per_note)
    except OutOfWork:
        return None
    if counts is None:
        return NO_MIX
    if tied:
        return None
    return levels.mix(counts, usable, step)


def _fitting_ascending(amount: int, usable: Sequence[Cassette]) -> int | None:
    """Return how many of the cassettes have a note of at most `amount` when their notes
    strictly ascend in their order (by id: then each denomination is one cassette's, in the
    search's order), else None."""
    fitting = 0
    last = 0
    for cassette in usable:
        denomination = cassette.denomination
        if denomination <= last:
            return None
        last = denomination
        if denomination <= amount:
            fitting += 1
    return fitting


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
    givers = []
    step = limit = 0
    for denomination, notes in stock.items():
        most = min(notes, amount // denomination)
        if most:
            givers.append((denomination, 1, denomination, most))
            step = gcd(step, denomination)
            limit += most
    if not step or amount % step:
        return None
    givers.sort()
    if max_notes is not None and max_notes < limit:
        limit = max_notes
    counts, _ = _Levels(givers, amount, limit, step).best_mix(amount // step, limit, 1,
                                                              first=first, work=work)
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
    one cassette's, the common terminal): _Levels built straight from the first `fitting`
    cassettes (those whose note fits in the amount) and their health costs in one pass,
    without givers to sort; level i is cassette i, which gives all of the level's notes.
    """

    __slots__ = ()

    def __init__(self, usable: Sequence[Cassette], fitting: int, health: list[int],
                 per_note: int, health_weight: int, amount: int, limit: int, step: int):
        units, mosts, costs, reach, divisor, cheapest = [], [], [], [], [], []
        paid = common = 0
        least = _UNBOUNDED
        for rank in range(fitting):
            cassette = usable[rank]
            denomination, most = cassette.denomination, cassette.count
            fits = amount // denomination
            if fits < most:
                most = fits
            if limit < most:
                most = limit
            price = per_note + rank + health_weight * health[rank]
            unit = denomination // step
            paid += unit * most
            common = gcd(common, unit)
            if price < least:
                least = price
            units.append(unit)
            mosts.append(most)
            costs.append(range(0, price * (most + 1), price))
            reach.append(paid)
            divisor.append(common)
            cheapest.append(least)
        self.units, self.mosts, self.costs = units, mosts, costs
        self.reach, self.divisor, self.cheapest = reach, divisor, cheapest

    def mix(self, counts: list[int], usable: Sequence[Cassette], step: int
            ) -> tuple[dict[str, int], dict[int, int]]:
        """Return the mix of `counts` (notes per level) as _Levels.mix does: level i is
        cassette i, so ids come out ascending by level, denominations largest first."""
        by_cassette = {}
        for level, take in enumerate(counts):
            if take:
                by_cassette[usable[level].id] = take
        by_denomination = {}
        units = self.units
        for level in range(len(counts) - 1, -1, -1):
            if counts[level]:
                by_denomination[units[level] * step] = counts[level]
        return by_cassette, by_denomination
