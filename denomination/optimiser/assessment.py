"""Step 4 of the optimiser: was the wish met, and if not, which rule stood in the way?"""

from __future__ import annotations

from collections.abc import Mapping

from denomination.dispensable import dispensable_amounts
from denomination.optimiser.data import MixData
from denomination.plan import Reason
from denomination.preferences import PreferenceKind

#: `mixed` counts as met when the mix holds this many denominations below the amount (or all
#: there are, when fewer are loaded).
MIXED_MET_AT = 3


def assess(data: MixData, given: Mapping[int, int], *,
           optimal: bool = False) -> tuple[bool, tuple[Reason, ...]]:
    """Return (exact, reasons) for a mix given as denomination -> notes.

    `optimal` says the mix is the optimiser's proven optimum, so a fewest-notes wish is met by
    construction and needs no second check.
    """
    kind = data.preference.kind
    if kind == PreferenceKind.COUNTS:
        reasons = _counts_reasons(data, given)
    elif kind == PreferenceKind.BOUNDS:
        reasons = _bounds_reasons(data, given)
    elif kind == PreferenceKind.SMALL:
        reasons = _small_reasons(data, given, optimal)
    elif kind == PreferenceKind.MIXED:
        reasons = _mixed_reasons(data, given)
    else:
        reasons = [] if optimal else _fewest_reasons(data, given)
    return not reasons, tuple(reasons)


def _fewest_reasons(data: MixData, given: Mapping[int, int]) -> list[Reason]:
    least = dispensable_amounts(data.currency.code, data.usable, data.max_notes).notes_for(
        data.amount)
    if least is not None and sum(given.values()) > least:
        return [Reason("more_notes_than_needed",
                       f"{sum(given.values())} notes where {least} would do")]
    return []


def _counts_reasons(data: MixData, given: Mapping[int, int]) -> list[Reason]:
    wanted = dict(data.preference.counts)
    if all(given.get(d, 0) == n for d, n in wanted.items()) and set(given) <= set(wanted):
        return []
    fmt = data.currency.format
    reasons = []
    asked = sum(d * n for d, n in wanted.items())
    if asked != data.amount:
        reasons.append(Reason("counts_do_not_add_up",
                              f"the chosen notes add up to {fmt(asked)}, not {fmt(data.amount)}"))
    if sum(wanted.values()) > data.max_notes:
        reasons.append(Reason("too_many_notes", f"the dispenser gives at most {data.max_notes} "
                              f"notes at once; the chosen mix has {sum(wanted.values())}"))
    for denomination, want in sorted(wanted.items()):
        if want > data.stock(denomination):
            reasons.append(_shortage(data, denomination, want))
    if not reasons:
        reasons.append(Reason("mix_adjusted", "the chosen counts could not be paid as asked, "
                              "so the nearest mix was chosen"))
    return reasons


def _bounds_reasons(data: MixData, given: Mapping[int, int]) -> list[Reason]:
    preference, fmt = data.preference, data.currency.format
    reasons = []
    for denomination, least in preference.minimum:
        if given.get(denomination, 0) < least:
            reasons.append(Reason("minimum_not_met",
                                  f"at least {least} x {fmt(denomination)} could not be met "
                                  f"({given.get(denomination, 0)} given)", denomination))
            if least > data.stock(denomination):
                reasons.append(_shortage(data, denomination, least))
    for denomination, most in preference.maximum:
        if given.get(denomination, 0) > most:
            reasons.append(Reason("maximum_exceeded",
                                  f"at most {most} x {fmt(denomination)} could not be kept "
                                  f"({given[denomination]} given)", denomination))
    for denomination in preference.exclude:
        if given.get(denomination, 0):
            reasons.append(Reason("excluded_used",
                                  f"{fmt(data.amount)} cannot be paid without "
                                  f"{fmt(denomination)} notes", denomination))
    return reasons


def _small_reasons(data: MixData, given: Mapping[int, int], optimal: bool) -> list[Reason]:
    budget = min(data.preference.note_budget, data.max_notes)
    fmt = data.currency.format
    if sum(given.values()) > budget:
        return [Reason("over_note_budget", f"{fmt(data.amount)} needs more than {budget} notes "
                       "even in the largest notes allowed")]
    if optimal or not given:
        return []
    for ceiling in data.denominations:
        if ceiling >= max(given):
            return []
        below = [c for c in data.usable if c.denomination <= ceiling]
        if dispensable_amounts(data.currency.code, below, budget).is_payable(data.amount):
            return [Reason("larger_notes_than_needed", f"{fmt(data.amount)} could be paid in "
                           f"notes of at most {fmt(ceiling)} within {budget} notes")]
    return []


def _mixed_reasons(data: MixData, given: Mapping[int, int]) -> list[Reason]:
    below = [d for d in data.denominations if d < data.amount]
    target = min(MIXED_MET_AT, len(below))
    used = [d for d in below if given.get(d, 0)]
    if len(used) >= target:
        return []
    return [Reason("mix_limited", f"{data.currency.format(data.amount)} could be paid in only "
                   f"{len(used)} different denominations from the notes loaded")]


def _shortage(data: MixData, denomination: int, want: int) -> Reason:
    """Say why fewer than `want` notes of `denomination` are available."""
    fmt = data.currency.format
    have = data.stock(denomination)
    units = [c for c in data.all_of_currency if c.denomination == denomination]
    if not units:
        return Reason("denomination_not_loaded", f"no {fmt(denomination)} notes are loaded",
                      denomination)
    blocked = [c for c in units if not c.dispensable and c.count > 0]
    if blocked and not have:
        cassette = blocked[0]
        state = "locked" if cassette.locked else str(cassette.status)
        return Reason(f"cassette_{state}", f"the {fmt(denomination)} cassette {cassette.id} is "
                      f"{state}", denomination, cassette.id)
    if not have:
        return Reason("cassette_empty", f"the {fmt(denomination)} cassette is empty",
                      denomination, units[0].id)
    return Reason("insufficient_notes", f"only {have} x {fmt(denomination)} left "
                  f"({want} wanted)", denomination)
