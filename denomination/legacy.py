"""Baselines the optimiser replaces: bank-optimal (largest notes first) and equal emptying.

Same signature as plan_mix, so the traffic simulator can swap them in; each plan is still
assessed against the customer's wish, so "wish met" compares fairly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from denomination.cassettes import Cassette
from denomination.catalogue import Catalogue, default_catalogue
from denomination.optimiser.assessment import assess
from denomination.optimiser.data import MixData, check_request
from denomination.optimiser.explain import not_dispensable
from denomination.optimiser.model import LeanCpModel
from denomination.optimiser.solve import solve
from denomination.plan import Plan, SolveStatus
from denomination.preferences import Preference

#: Resolution of a cassette's drawn share in equal emptying (per mille of its notes).
SHARE_SCALE = 1000


def bank_optimal(amount: int, currency: str, cassettes: Iterable[Cassette],
                 preference: Preference | Mapping[str, Any] | None = None, *,
                 max_notes: int = 40, catalogue: Catalogue | None = None) -> Plan:
    """What old ATMs did: as many of the largest notes as possible, backtracking when stuck.

    Within a denomination the fullest cassette gives first. Raises NotDispensable when no mix
    exists, like plan_mix.
    """
    data = _data(amount, currency, cassettes, preference, max_notes, catalogue)
    stock = {}
    for cassette in data.usable:
        stock[cassette.denomination] = stock.get(cassette.denomination, 0) + cassette.count
    chosen = _largest_first(tuple(sorted(stock.items(), reverse=True)), data.amount,
                            data.max_notes)
    if chosen is None:
        raise not_dispensable(data)
    counts: dict[str, int] = {}
    for denomination, wanted in chosen.items():
        units = sorted((c for c in data.usable if c.denomination == denomination),
                       key=lambda c: (-c.count, c.id))
        for cassette in units:
            take = min(wanted, cassette.count)
            counts[cassette.id] = take
            wanted -= take
    return _plan(data, counts, "bank_optimal")


def equal_emptying(amount: int, currency: str, cassettes: Iterable[Cassette],
                   preference: Preference | Mapping[str, Any] | None = None, *,
                   max_notes: int = 40, catalogue: Catalogue | None = None) -> Plan:
    """XFS4IoT's equalEmptying mix: draw so that no cassette loses a larger share of its notes
    than needed, then the fewest notes. Raises NotDispensable when no mix exists."""
    data = _data(amount, currency, cassettes, preference, max_notes, catalogue)
    if data.amount % data.step or not data.usable:
        raise not_dispensable(data)
    model = LeanCpModel()
    # notes[c]: how many notes cassette c gives.
    notes = {c.id: model.new_int_var(0, min(c.count, data.max_notes), f"notes[{c.id}]")
             for c in data.usable}
    # The notes pay the amount exactly, within the note limit.
    model.add(sum(c.denomination // data.step * notes[c.id] for c in data.usable)
              == data.amount // data.step)
    total = sum(notes.values())
    model.add(total <= data.max_notes)
    # share: the largest fraction (per mille) of any cassette's notes drawn by this dispense.
    share = model.new_int_var(0, SHARE_SCALE, "largest_share")
    for cassette in data.usable:
        model.add(share * cassette.count >= SHARE_SCALE * notes[cassette.id])
    model.minimize(share * (data.max_notes + 1) + total)
    found = solve(model, (notes,))
    if found is None:
        raise not_dispensable(data)
    plan = _plan(data, found.mixes[0], "equal_emptying")
    return plan if found.optimal else replace(plan, status=SolveStatus.FEASIBLE)


def _data(amount, currency, cassettes, preference, max_notes, catalogue) -> MixData:
    return check_request(amount, currency, cassettes, Preference.coerce(preference), max_notes,
                         catalogue or default_catalogue())


def _plan(data: MixData, counts: dict[str, int], kind: str) -> Plan:
    plan = Plan.from_counts(data.amount, data.currency.code, kind, counts,
                            {c.id: c.denomination for c in data.usable})
    exact, reasons = assess(data, plan.by_denomination)
    return replace(plan, exact=exact, reasons=reasons)


def _largest_first(stock: tuple[tuple[int, int], ...], amount: int,
                   max_notes: int) -> dict[int, int] | None:
    """Depth-first, largest denomination and largest count first; dead ends are remembered."""

    @cache
    def search(index: int, left: int, notes_left: int) -> tuple[int, ...] | None:
        if left == 0:
            return ()
        if index == len(stock) or notes_left == 0:
            return None
        denomination, count = stock[index]
        most = min(count, notes_left, left // denomination)
        for take in range(most, -1, -1):
            rest = search(index + 1, left - take * denomination, notes_left - take)
            if rest is not None:
                return (take, *rest)
        return None

    found = search(0, amount, max_notes)
    if found is None:
        return None
    return {d: n for (d, _), n in zip(stock, found, strict=False) if n}
