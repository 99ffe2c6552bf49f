"""Which notes a Dispense or Denominate asks for, checked as the standard says: an application
mix by unit, or one of the service's own mixes (`mix1`, `mix2`) with `partial` counts in it."""

from __future__ import annotations

from collections.abc import Mapping

from denomination import bank_optimal, equal_emptying
from denomination.errors import CashmixError
from kiosk_service.hardware.errors import (
    CashUnitError,
    InvalidDenomination,
    NotDispensableByDevice,
    TooManyItems,
)
from kiosk_service.hardware.status import CassetteStatus, DeviceStatus
from kiosk_service.hardware.xfs4iot.messages import MixRequest
from kiosk_service.hardware.xfs4iot.storage import minor_of
from sim.xfs4iot.answers import Answer, Event, failure
from sim.xfs4iot.units import UnitMap, storage

#: The service's own mixes (CashDispenser.GetMixTypes), as KAL's defaults number them.
SERVICE_MIXES = {
    "mix1": ("minimumBills", "Minimum number of notes", bank_optimal),
    "mix2": ("equalEmptying", "Equal emptying of cash units", equal_emptying),
}


def denominate(request: MixRequest, status: DeviceStatus, units: UnitMap,
               exponents: Mapping[str, int], *, kal_codes: bool = False
               ) -> dict[str, int] | Answer:
    """Return cassette id -> notes for a mix request, or the refusal to answer with.

    With `kal_codes` the answers follow KAL's service provider where it differs from the
    standard (a short unit is `tooManyItems`, too many items `cashUnitError`).
    """
    counts: dict[str, int] = {}
    for name, notes in request.counts.items():
        if isinstance(notes, bool) or not isinstance(notes, int) or notes < 0:
            return failure(InvalidDenomination(f"{name}: {notes!r} is not a note count"))
        cassette_id = units.cassette_of(name)
        if cassette_id is None:
            return failure(NotDispensableByDevice(f"{name} is not a dispensing unit"))
        if notes:
            counts[cassette_id] = notes
    if request.mix is not None:
        mixed = service_mix(request, status, exponents)
        if isinstance(mixed, Answer):
            return mixed
        if any(mixed.get(c, 0) < n for c, n in counts.items()):
            return failure(NotDispensableByDevice("the mix cannot include the partial "
                                                  "counts asked for"))
        counts = mixed
    if not counts:
        return failure(InvalidDenomination("the application mix has no notes"))
    totals: dict[str, int] = {}
    for cassette_id, notes in counts.items():
        unit = status.cassette(cassette_id)
        totals[unit.currency] = totals.get(unit.currency, 0) + unit.denomination * notes
    asked = {code: minor_of(value, exponents.get(code, 0))
             for code, value in request.currencies.items() if value}
    if asked != totals:
        return failure(InvalidDenomination("the notes do not add up to the currencies"))
    if sum(counts.values()) > status.max_dispense_items:
        if kal_codes:       # KAL's Denominate.IsDispensable
            return failure(CashUnitError("too many items"))
        return failure(TooManyItems(f"over maxDispenseItems {status.max_dispense_items}"))
    for cassette_id, notes in counts.items():
        unit = status.cassette(cassette_id)
        if unit.status != CassetteStatus.OK or unit.locked:
            return failure(CashUnitError(f"{cassette_id} cannot dispense"), (
                storage_error(status, units, exponents, cassette_id,
                              "locked" if unit.locked else "error"),))
        if unit.count < notes:
            if kal_codes:   # KAL's DispenseHandler: CashUnitNotEnough
                return failure(TooManyItems(f"{cassette_id} holds {unit.count} notes"))
            return failure(NotDispensableByDevice(
                f"{units.name_of(cassette_id)} holds {unit.count} notes"))
    return counts


def service_mix(request: MixRequest, status: DeviceStatus, exponents: Mapping[str, int]
                ) -> dict[str, int] | Answer:
    """Denominate with one of the service's own mixes (a third-party client's way)."""
    if request.mix not in SERVICE_MIXES:
        return Answer(completion_code="commandErrorCode", error_code="invalidMixNumber",
                      error_description=f"no mix {request.mix}; GetMixTypes lists them")
    amounts = {code: minor_of(value, exponents.get(code, 0))
               for code, value in request.currencies.items() if value}
    if len(amounts) != 1 or None in amounts.values():
        return failure(InvalidDenomination("a mix needs one currency and an exact amount"))
    (currency, amount), = amounts.items()
    try:
        plan = SERVICE_MIXES[request.mix][2](amount, currency, status.for_planning(),
                                             max_notes=status.max_dispense_items)
    except CashmixError as error:
        return failure(NotDispensableByDevice(error.message))
    return {c: n for c, n in plan.by_cassette.items() if n}


def storage_error(status: DeviceStatus, units: UnitMap, exponents: Mapping[str, int],
                  cassette_id: str, failure_kind: str) -> Event:
    """Return the Storage.StorageErrorEvent of a unit at fault (`error`, `empty`, ...)."""
    name = units.name_of(cassette_id)
    unit = storage(status, units, exponents)[name]
    return Event("Storage.StorageErrorEvent", {"failure": failure_kind, "unit": {name: unit}})
