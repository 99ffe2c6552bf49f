"""Why a wish was not met: the terminal's stock at the time, or no stock of its notes at all.

A wish that the same policy meets when every cassette is amply stocked failed for want of
notes (a better load can fix it); one that it does not meet even then cannot be met with this
terminal's denominations and note limit (for example "a bit of everything" for 1000 CZK on a
200/500/1000/2000 terminal), whatever the load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from denomination import NotDispensable
from sim.traffic.demand import Withdrawal
from sim.traffic.policies import Policy
from sim.traffic.simulation import MET, REFUSED, PolicyRun
from sim.traffic.terminal import Terminal

#: An amply stocked cassette holds this many times the note limit (no wish needs more).
AMPLE_FACTOR = 4


@dataclass(frozen=True, slots=True)
class WishFailures:
    """Counts of withdrawals: all, unmet for want of stock (partly met or refused), and unmet
    whatever the stock (partly met or refused)."""

    withdrawals: int = 0
    stock_partial: int = 0
    stock_refused: int = 0
    any_stock_partial: int = 0
    any_stock_refused: int = 0

    def __add__(self, other: WishFailures) -> WishFailures:
        return WishFailures(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(),
                                                    strict=True)))

    def as_tuple(self) -> tuple[int, ...]:
        """Return the counts in field order."""
        return (self.withdrawals, self.stock_partial, self.stock_refused,
                self.any_stock_partial, self.any_stock_refused)

    @property
    def by_stock(self) -> float:
        """Return the share of withdrawals unmet because of the stock at the time."""
        return (self.stock_partial + self.stock_refused) / max(self.withdrawals, 1)

    @property
    def by_denominations(self) -> float:
        """Return the share of withdrawals no stock of these denominations could meet."""
        return (self.any_stock_partial + self.any_stock_refused) / max(self.withdrawals, 1)


def classify_failures(run: PolicyRun, stream: Sequence[Withdrawal], terminal: Terminal,
                      policy: str, reserve: tuple[tuple[int, int], ...] = ()) -> WishFailures:
    """Return the run's unmet wishes, split by whether ample stock would have met them under
    the same policy."""
    ample = _ample(terminal)
    plan = Policy(policy, reserve).planner()
    by_index = {w.index: w for w in stream}
    verdicts: dict[tuple, bool] = {}
    counts = dict.fromkeys(("stock_partial", "stock_refused", "any_stock_partial",
                            "any_stock_refused"), 0)
    for outcome in run.outcomes:
        if outcome.result == MET:
            continue
        wish = by_index[outcome.index]
        key = (wish.amount, wish.preference)
        if key not in verdicts:
            verdicts[key] = _met_with(plan, terminal, ample, wish)
        kind = "partial" if outcome.result != REFUSED else "refused"
        counts[f"stock_{kind}" if verdicts[key] else f"any_stock_{kind}"] += 1
    return WishFailures(len(run.outcomes), **counts)


def _ample(terminal: Terminal) -> list:
    notes = AMPLE_FACTOR * terminal.note_limit
    return [replace(c, count=notes, capacity=None, low_threshold=0) for c in terminal.cassettes]


def _met_with(plan, terminal: Terminal, cassettes: list, wish: Withdrawal) -> bool:
    try:
        mix = plan(wish.amount, terminal.currency, cassettes, wish.preference,
                   terminal.note_limit)
    except NotDispensable:
        return False
    return mix.exact
