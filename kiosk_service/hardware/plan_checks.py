"""The checks a dispenser makes before it moves a note, in XFS4IoT's order, for every driver:
the plan itself (counts, cassettes, amount, note limit), then each cassette's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from denomination.cassettes import CassetteStatus
from kiosk_service.hardware.errors import (
    CashUnitError,
    InvalidDenomination,
    NotDispensableByDevice,
    TooManyItems,
)


def check_counts(counts: Any, amount: int | None, denominations: Mapping[str, int | None],
                 max_items: int) -> dict[str, int]:
    """Return the plan's non-zero counts in the order of `denominations` (cassette id ->
    minor units per note, None when the device's value is not one we can read).

    Raises InvalidDenomination (bad or no counts, notes that do not make `amount`),
    NotDispensableByDevice (an unknown cassette) or TooManyItems (over `max_items`).
    """
    if not isinstance(counts, Mapping):
        raise InvalidDenomination("the plan must map cassette ids to note counts")
    bad = {c: n for c, n in counts.items()
           if not isinstance(n, int) or isinstance(n, bool) or n < 0}
    if bad:
        raise InvalidDenomination("note counts must be whole numbers of at least 0: " +
                                  ", ".join(f"{c} = {n}" for c, n in bad.items()))
    wanted = {c: n for c, n in counts.items() if n}
    if not wanted:
        raise InvalidDenomination("the plan has no notes")
    unknown = sorted(set(wanted) - set(denominations))
    if unknown:
        raise NotDispensableByDevice(f"the device has no cassette {', '.join(unknown)}",
                                     cassette=unknown[0])
    if any(denominations[c] is None for c in wanted):
        raise InvalidDenomination("a cassette's note value is not one of the catalogue's")
    value = sum(denominations[c] * n for c, n in wanted.items())
    if amount is not None and value != amount:
        raise InvalidDenomination(f"the notes make {value}, not the amount {amount} "
                                  "(minor units)")
    total = sum(wanted.values())
    if total > max_items:
        raise TooManyItems(f"{total} notes is over the device's limit of {max_items}",
                           limit=max_items)
    return {c: wanted[c] for c in denominations if c in wanted}


def check_cassettes(states: Mapping[str, Any], requested: Mapping[str, int]) -> None:
    """Raise CashUnitError for a requested cassette that is not ok or is locked, and
    NotDispensableByDevice for one holding fewer notes than requested. `states` maps
    cassette id -> anything with `status`, `locked` and `count` (a CassetteState)."""
    for cassette_id, notes in requested.items():
        state = states[cassette_id]
        if state.status != CassetteStatus.OK or state.locked:
            why = "locked" if state.status == CassetteStatus.OK else state.status
            raise CashUnitError(f"cassette {cassette_id} is {why}", cassette=cassette_id)
        if state.count < notes:
            raise NotDispensableByDevice(
                f"cassette {cassette_id} holds {state.count} notes, not {notes}",
                cassette=cassette_id)
