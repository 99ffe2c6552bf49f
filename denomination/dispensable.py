"""Which amounts an inventory can pay now, within the note limit: a bounded-knapsack table."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache, reduce
from math import gcd

from denomination.cassettes import Cassette


@dataclass(frozen=True, slots=True)
class DispensableAmounts:
    """Payable amounts of one currency (minor units), ascending, and the fewest notes for each.

    `amounts` stops at the ceiling asked for; `largest` is the largest amount payable at all.
    """

    currency: str
    step: int
    amounts: tuple[int, ...]
    largest: int | None
    fewest_notes: tuple[int, ...]
    max_notes: int

    def is_payable(self, amount: int) -> bool:
        """Return True when `amount` can be paid now."""
        return self.notes_for(amount) is not None

    def notes_for(self, amount: int) -> int | None:
        """Return the fewest notes that pay `amount`, or None when it cannot be paid."""
        if amount <= 0 or amount % self.step:
            return None
        index = amount // self.step
        if index >= len(self.fewest_notes) or self.fewest_notes[index] > self.max_notes:
            return None
        return self.fewest_notes[index]

    def nearest(self, amount: int) -> tuple[int | None, int | None]:
        """Return the payable amounts nearest below and above `amount` (None where none)."""
        below = bisect_left(self.amounts, amount) - 1
        above = bisect_right(self.amounts, amount)
        return (self.amounts[below] if below >= 0 else None,
                self.amounts[above] if above < len(self.amounts) else None)


def stock_by_denomination(currency: str, cassettes: Iterable[Cassette]) -> dict[int, int]:
    """Return minor units -> notes that can be dispensed now, for `currency`."""
    stock: dict[int, int] = {}
    for cassette in cassettes:
        if cassette.currency == currency and cassette.dispensable:
            stock[cassette.denomination] = stock.get(cassette.denomination, 0) + cassette.count
    return stock


def dispensable_amounts(currency: str, cassettes: Iterable[Cassette], max_notes: int = 40,
                        ceiling: int | None = None) -> DispensableAmounts:
    """Tabulate every amount payable with at most `max_notes` notes from the dispensable stock.

    `amounts` lists payable amounts up to `ceiling` (all of them when None). The table depends
    only on the stock capped at the note limit, so it is memoised on that.
    """
    stock = {d: min(n, max_notes) for d, n in stock_by_denomination(currency, cassettes).items()}
    table = _table(currency, tuple(sorted(stock.items())), max_notes)
    if ceiling is None:
        return table
    return replace(table, amounts=table.amounts[: bisect_right(table.amounts, ceiling)])


@lru_cache(maxsize=1024)
def _table(currency: str, stock: tuple[tuple[int, int], ...],
           max_notes: int) -> DispensableAmounts:
    """Bounded knapsack by binary splitting: each denomination's usable count becomes items of
    1, 2, 4, ... notes, each applied as one shifted-minimum pass over the table."""
    if not stock or max_notes <= 0:
        return DispensableAmounts(currency, 1, (), None, (0,), max_notes)
    step = reduce(gcd, (d for d, _ in stock))
    reach = sum(d // step * n for d, n in stock)
    unreachable = max_notes + 1
    fewest = [0] + [unreachable] * reach
    for denomination, count in stock:
        units = denomination // step
        for chunk in _binary_chunks(count):
            shift = units * chunk
            shifted = [notes + chunk for notes in fewest[: reach + 1 - shift]]
            fewest[shift:] = map(min, fewest[shift:], shifted)
    payable = tuple(i * step for i in range(1, reach + 1) if fewest[i] <= max_notes)
    return DispensableAmounts(currency, step, payable, payable[-1] if payable else None,
                              tuple(fewest), max_notes)


def _binary_chunks(count: int) -> list[int]:
    """Split `count` into 1, 2, 4, ..., remainder: every 0..count is a subset sum."""
    chunks, size = [], 1
    while count > 0:
        take = min(size, count)
        chunks.append(take)
        count -= take
        size *= 2
    return chunks
