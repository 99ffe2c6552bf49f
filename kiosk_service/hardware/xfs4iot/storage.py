"""XFS4IoT storage units <-> the driver interface's cassettes and bins.

A unit's notes are never one number on the 2021-1 wire: they are `initial - sum(out.*) +
sum(in.*)`, each counter an object of cash items (`{"unrecognized": 0, "typeCZK2000": {"fit":
3}}`), summed over fit, unfit, suspect, ... (2024-3 units that carry `status.count` use it).
How the out counters map onto ours: `stacked`, `presented` and `rejected` by name, `transport`
(notes stuck in the transport by a jam) is our `unknown`, and `unknown` (notes the unit was
declared to hold but did not) is our `shortfall`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from denomination.cassettes import CassetteStatus, FillLevel
from kiosk_service.hardware.status import BinKind, BinState, CassetteState, UnitCounters

#: XFS4IoT Storage.Status values we know; `notConfigured` reads as missing.
UNIT_STATUSES = {"ok": CassetteStatus.OK, "inoperative": CassetteStatus.INOPERATIVE,
                 "missing": CassetteStatus.MISSING, "manipulated": CassetteStatus.MANIPULATED,
                 "notConfigured": CassetteStatus.MISSING}

OUT_COUNTERS = ("presented", "rejected", "distributed", "unknown", "stacked", "diverted",
                "transport")
IN_COUNTERS = ("deposited", "retracted", "rejected", "distributed", "transport")


def count_of(counts: Any) -> int:
    """Return the notes in one StorageCashCounts object (every item, every classification)."""
    if not isinstance(counts, Mapping):
        return 0
    total = 0
    for key, value in counts.items():
        if key == "unrecognized" and isinstance(value, int):
            total += value
        elif isinstance(value, Mapping):
            total += sum(v for v in value.values() if isinstance(v, int) and v > 0)
    return total


def item_counts(counts: Any) -> dict[str, int]:
    """Return cash item name -> notes of one StorageCashCounts object."""
    if not isinstance(counts, Mapping):
        return {}
    return {key: sum(v for v in value.values() if isinstance(v, int) and v > 0)
            for key, value in counts.items() if isinstance(value, Mapping)}


def counts_object(item: str, notes: int) -> dict[str, Any]:
    """Return a StorageCashCounts object holding `notes` fit notes of one cash item."""
    return {"unrecognized": 0, item: {"fit": notes}} if notes else {"unrecognized": 0}


def item_name(currency: str, denomination: int, exponent: int) -> str:
    """Return the cash item name of a note, e.g. "typeCZK2000" (face value as printed)."""
    face = Decimal(denomination).scaleb(-exponent).normalize()
    return f"type{currency}{format(face, 'f').replace('.', 'P')}"


def face_number(denomination: int, exponent: int) -> int | float:
    """Return a note's face value as the JSON number XFS4IoT sends (`value`, currencies)."""
    face = Decimal(denomination).scaleb(-exponent)
    return int(face) if face == face.to_integral_value() else float(face)


def minor_of(value: Any, exponent: int) -> int | None:
    """Return the minor units of a JSON face value or amount; None when it is not exact."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    scaled = Decimal(str(value)).scaleb(exponent)
    return int(scaled) if scaled == scaled.to_integral_value() else None


@dataclass(frozen=True, slots=True)
class Unit:
    """One storage unit as the driver reads it.

    `name` is the unit's key (`unit3`), `id` its short id (`A`). `kind` is "cashOut" for a
    dispensing unit, "reject" or "retract" for a bin, "other" for anything else. `denomination`
    is in minor units (None when the currency is unknown to us or the value is not exact).
    """

    name: str
    id: str
    kind: str
    currency: str | None
    denomination: int | None
    status: CassetteStatus
    capacity: int | None
    low_threshold: int
    locked: bool
    counters: UnitCounters
    count: int
    transport: int = 0
    items: tuple[str, ...] = ()
    bin_notes: Mapping[str, int] = field(default_factory=dict)
    retract_operations: int = 0

    def cassette(self, cassette_id: str) -> CassetteState:
        """Return this unit as the driver interface's cassette `cassette_id`."""
        return CassetteState(cassette_id, self.currency or "", self.denomination or 0,
                             self.counters, self.count, self.status, self.capacity,
                             self.low_threshold, self.locked, self.counters.initial
                             - self.count - self.counters.out if self.count >= 0 else 0)


def parse_unit(name: str, unit: Mapping[str, Any], exponents: Mapping[str, int]) -> Unit:
    """Read one StorageUnit object; `exponents` maps currency -> ISO 4217 exponent."""
    cash = unit.get("cash") if isinstance(unit.get("cash"), Mapping) else {}
    configuration = cash.get("configuration") or {}
    status = cash.get("status") or {}
    types = configuration.get("types") or (cash.get("capabilities") or {}).get("types") or {}
    if types.get("cashOut"):
        kind = "cashOut"
    elif types.get("reject"):
        kind = "reject"
    elif types.get("cashOutRetract") or types.get("cashInRetract"):
        kind = "retract"
    else:
        kind = "other"
    currency = configuration.get("currency")
    exponent = exponents.get(currency) if isinstance(currency, str) else None
    denomination = (minor_of(configuration.get("value"), exponent)
                    if exponent is not None else None)
    out = status.get("out") or {}
    in_ = status.get("in") or {}
    initial = count_of(status.get("initial"))
    out_total = sum(count_of(out.get(k)) for k in OUT_COUNTERS)
    in_total = sum(count_of(in_.get(k)) for k in IN_COUNTERS)
    count = status.get("count")
    if not isinstance(count, int) or isinstance(count, bool):
        count = initial - out_total + in_total
    transport = count_of(out.get("transport"))
    counters = UnitCounters(initial=initial, stacked=count_of(out.get("stacked")),
                            presented=count_of(out.get("presented")),
                            rejected=count_of(out.get("rejected")), unknown=transport)
    bin_notes: dict[str, int] = {}
    if kind in ("reject", "retract"):
        for counter in IN_COUNTERS:
            for item, notes in item_counts(in_.get(counter)).items():
                bin_notes[item] = bin_notes.get(item, 0) + notes
    low = configuration.get("lowThreshold")
    capacity = unit.get("capacity")
    return Unit(
        name=name, id=str(unit.get("id") or name), kind=kind,
        currency=currency if isinstance(currency, str) else None, denomination=denomination,
        status=UNIT_STATUSES.get(unit.get("status"), CassetteStatus.INOPERATIVE),
        capacity=capacity if isinstance(capacity, int) and capacity > 0 else None,
        low_threshold=low if isinstance(low, int) else 0,
        locked=bool(configuration.get("appLockOut")), counters=counters, count=count,
        transport=transport, items=tuple(configuration.get("cashItems") or ()),
        bin_notes=bin_notes, retract_operations=int(in_.get("retractOperations") or 0))


def parse_storage(storage: Any, exponents: Mapping[str, int]) -> dict[str, Unit]:
    """Return unit name -> Unit of a GetStorage completion's `storage` object."""
    if not isinstance(storage, Mapping):
        return {}
    return {name: parse_unit(name, unit, exponents) for name, unit in sorted(storage.items())
            if isinstance(unit, Mapping)}


def bin_state(kind: BinKind, units: Iterable[Unit]) -> BinState:
    """Return the reject or retract bin as the sum of the units of that kind.

    A cash item's note is found through the dispensing units that list it (their currency
    and value); items no dispensing unit names count in `count` but not in `notes`.
    """
    units = list(units)
    notes_of: dict[str, tuple[str, int]] = {}
    for unit in units:
        if unit.kind == "cashOut" and unit.currency and unit.denomination:
            for item in unit.items:
                notes_of[item] = (unit.currency, unit.denomination)
    wanted = "reject" if kind == BinKind.REJECT else "retract"
    count, operations, notes = 0, 0, {}
    for unit in units:
        if unit.kind != wanted:
            continue
        operations += unit.retract_operations
        for item, n in unit.bin_notes.items():
            count += n
            if item in notes_of:
                notes[notes_of[item]] = notes.get(notes_of[item], 0) + n
    return BinState(kind, count, notes, operations)


def replenishment_status(fill: FillLevel) -> str:
    """Return XFS4IoT `replenishmentStatus` for a fill level (the same words)."""
    return str(fill)
