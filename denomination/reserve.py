"""Reserves: notes a terminal holds back for the customers who ask for that denomination."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from denomination.cassettes import Cassette
from denomination.preferences import Preference, PreferenceKind

#: Wishes that ask for small or particular notes may draw on every reserve they need.
RESERVE_RELEASING_KINDS = {PreferenceKind.SMALL, PreferenceKind.MIXED}


def releases(preference: Preference, denomination: int) -> bool:
    """Return True when `preference` may use the reserve of `denomination`.

    `small` and `mixed` wishes may use every reserve; `counts` and `bounds` those of the
    denominations they ask for (a count or minimum above zero); `fewest` and `options` none.
    """
    if preference.kind in RESERVE_RELEASING_KINDS:
        return True
    asked = dict(preference.counts) | dict(preference.minimum)
    return asked.get(denomination, 0) > 0


def apply_reserve(cassettes: Iterable[Cassette], reserve: Mapping[int, int],
                  preference: Preference) -> list[Cassette]:
    """Return the cassettes as `preference` may see them: reserved notes taken out of the count.

    `reserve` maps a denomination (minor units) to the notes held back across all its
    cassettes; they are held back in the emptiest cassettes first, so the fuller ones serve.
    """
    result = list(cassettes)
    for denomination, held in reserve.items():
        if held <= 0 or releases(preference, denomination):
            continue
        units = sorted((i for i, c in enumerate(result) if c.denomination == denomination),
                       key=lambda i: (result[i].count, result[i].id))
        for index in units:
            keep = min(held, result[index].count)
            result[index] = replace(result[index], count=result[index].count - keep)
            held -= keep
    return result
