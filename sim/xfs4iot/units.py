"""The simulator's state as XFS4IoT payloads: storage units, Common.Status, Capabilities.

Dispensing units are `unit1..unitN` in the terminal file's order (or the name a cassette gives
as `unit`), each with `id` = the cassette id; the reject bin and the retract bin follow as two
more units (`id` "REJ" and "RET"). Counters follow kiosk_service/hardware/xfs4iot/storage.py:
`out.transport` holds notes jammed in the transport and `out.unknown` notes declared at load
that the unit turned out not to hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk_service.hardware.status import (
    BinState,
    CassetteState,
    DeviceState,
    DeviceStatus,
    OutputPosition,
    ShutterState,
)
from kiosk_service.hardware.xfs4iot.messages import Dialect
from kiosk_service.hardware.xfs4iot.storage import counts_object, face_number, item_name

REJECT_ID, RETRACT_ID = "REJ", "RET"

#: The commands and events this service implements, with the versions of each dialect.
COMMANDS = {
    "Common": ["Common.Status", "Common.Capabilities", "Common.Cancel"],
    "Storage": ["Storage.GetStorage", "Storage.SetStorage"],
    "CashDispenser": ["CashDispenser.Dispense", "CashDispenser.Present",
                      "CashDispenser.Reject", "CashDispenser.GetPresentStatus",
                      "CashDispenser.Denominate", "CashDispenser.GetMixTypes"],
    "CashManagement": ["CashManagement.Retract", "CashManagement.Reset",
                       "CashManagement.GetBankNoteTypes"],
}
EVENTS = {
    "Common": ["Common.StatusChangedEvent"],
    "Storage": ["Storage.StorageErrorEvent"],
    "CashDispenser": ["CashDispenser.IncompleteDispenseEvent"],
    "CashManagement": ["CashManagement.NoteErrorEvent", "CashManagement.ItemsPresentedEvent",
                       "CashManagement.ItemsTakenEvent",
                       "CashManagement.ShutterStatusChangedEvent"],
}


@dataclass(frozen=True, slots=True)
class UnitMap:
    """Cassette id <-> storage unit name, the note each cassette holds, and the bins' names."""

    names: Mapping[str, str]              # cassette id -> unit name
    items: Mapping[str, str]              # cassette id -> cash item name
    reject: str
    retract: str

    @classmethod
    def build(cls, cassettes: Iterable[CassetteState], exponents: Mapping[str, int],
              explicit: Mapping[str, str] | None = None) -> UnitMap:
        """Name the units: explicit names first, then unit1, unit2, ... for the rest."""
        cassettes = list(cassettes)
        explicit = dict(explicit or {})
        taken = set(explicit.values())
        names, number = {}, 0
        for cassette in cassettes:
            if cassette.id in explicit:
                names[cassette.id] = explicit[cassette.id]
                continue
            number += 1
            while f"unit{number}" in taken:
                number += 1
            names[cassette.id] = f"unit{number}"
            taken.add(names[cassette.id])
        bins = []
        while len(bins) < 2:
            number += 1
            if f"unit{number}" not in taken:
                bins.append(f"unit{number}")
        items = {c.id: item_name(c.currency, c.denomination, exponents[c.currency])
                 for c in cassettes}
        return cls(names, items, bins[0], bins[1])

    def cassette_of(self, unit_name: str) -> str | None:
        """Return the cassette id of a dispensing unit's name, or None."""
        return next((cid for cid, name in self.names.items() if name == unit_name), None)

    def name_of(self, cassette_id: str) -> str:
        """Return the unit name of a cassette."""
        return self.names[cassette_id]

    def item_of(self, cassette_id: str | None) -> str:
        """Return the cash item name of a cassette's notes."""
        return self.items.get(cassette_id or "", "unrecognized")


def storage(status: DeviceStatus, units: UnitMap, exponents: Mapping[str, int]
            ) -> dict[str, Any]:
    """Return the `storage` object of a GetStorage completion."""
    result = {}
    for index, cassette in enumerate(status.cassettes, start=1):
        if cassette.id in units.names:
            result[units.name_of(cassette.id)] = _cash_unit(
                cassette, units.item_of(cassette.id), index, exponents, status)
    result[units.reject] = _bin_unit(REJECT_ID, "reject", status.reject_bin, units,
                                     len(result) + 1, status)
    result[units.retract] = _bin_unit(RETRACT_ID, "cashOutRetract", status.retract_bin, units,
                                      len(result) + 1, status)
    return result


def _cash_unit(cassette: CassetteState, item: str, index: int, exponents: Mapping[str, int],
               status: DeviceStatus) -> dict[str, Any]:
    counters = cassette.counters
    configuration: dict[str, Any] = {
        "types": {"cashOut": True}, "items": {"fit": True},
        "currency": cassette.currency,
        "value": face_number(cassette.denomination, exponents[cassette.currency]),
        "appLockIn": False, "appLockOut": cassette.locked, "cashItems": [item]}
    if cassette.low_threshold >= 1:
        configuration["lowThreshold"] = cassette.low_threshold
    out: dict[str, Any] = {}
    presented = counters.presented
    for counter, notes in (("presented", presented), ("rejected", counters.rejected),
                           ("stacked", counters.stacked), ("transport", counters.unknown),
                           ("unknown", cassette.shortfall)):
        if notes:
            out[counter] = counts_object(item, notes)
    unit: dict[str, Any] = {
        "id": cassette.id, "positionName": f"Slot {index}", "status": str(cassette.status),
        "cash": {
            "capabilities": {"types": {"cashOut": True}, "items": {"fit": True},
                             "hardwareSensors": False, "cashItems": [item]},
            "configuration": configuration,
            "status": {"index": index, "initial": counts_object(item, counters.initial),
                       "out": out, "in": {}, "accuracy": "accurate",
                       "replenishmentStatus": str(cassette.fill)}}}
    if cassette.capacity:
        unit["capacity"] = cassette.capacity
    return unit


def _bin_unit(unit_id: str, kind: str, bin_: BinState, units: UnitMap, index: int,
              status: DeviceStatus) -> dict[str, Any]:
    by_note = {(c.currency, c.denomination): units.item_of(c.id) for c in status.cassettes}
    counts: dict[str, Any] = {"unrecognized": 0}
    for note, notes in sorted(bin_.notes.items()):
        item = by_note.get(note)
        if item and notes:
            counts[item] = {"fit": counts.get(item, {}).get("fit", 0) + notes}
    counted = sum(n for n in bin_.notes.values())
    counts["unrecognized"] = max(bin_.count - counted, 0)
    counter = "rejected" if kind == "reject" else "retracted"
    cash_in: dict[str, Any] = {counter: counts}
    if kind == "cashOutRetract":
        cash_in["retractOperations"] = bin_.operations
    types = {kind: True}
    return {"id": unit_id, "positionName": "Reject bin" if kind == "reject" else "Retract bin",
            "status": "ok",
            "cash": {"capabilities": {"types": types, "items": {"fit": True},
                                      "hardwareSensors": False, "retractAreas": 1},
                     "configuration": {"types": types, "items": {"fit": True},
                                       "appLockIn": False, "appLockOut": False},
                     "status": {"index": index, "initial": {"unrecognized": 0}, "out": {},
                                "in": cash_in, "accuracy": "accurate",
                                "replenishmentStatus": "ok"}}}


def common_status(status: DeviceStatus) -> dict[str, Any]:
    """Return the payload of a Common.Status completion."""
    device = {DeviceState.ONLINE: "online", DeviceState.HARDWARE_ERROR: "hardwareError",
              DeviceState.POWER_OFF: "powerOff"}[status.device]
    stacked = status.position == OutputPosition.STACKED
    presented = status.position == OutputPosition.PRESENTED
    shutter = {ShutterState.CLOSED: "closed", ShutterState.OPEN: "open",
               ShutterState.JAMMED: "jammedClosed"}[status.shutter]
    usable = [c for c in status.cassettes if c.dispensable]
    attention = any(c.fill in ("low", "empty") or not c.dispensable for c in status.cassettes)
    return {
        "common": {"device": device},
        "cashDispenser": {
            "intermediateStacker": "notEmpty" if stacked else "empty",
            "positions": [{"position": "outDefault", "shutter": shutter,
                           "positionStatus": "notEmpty" if presented else "empty",
                           "transport": "ok",
                           "transportStatus": "notEmpty" if status.transport else "empty"}]},
        "cashManagement": {"dispenser": "stop" if not usable else
                           "attention" if attention else "ok"}}


def capabilities(status: DeviceStatus, dialect: Dialect) -> dict[str, Any]:
    """Return the payload of a Common.Capabilities completion."""
    def versions(name: str, type_: str) -> dict[str, Any]:
        return {"versions": [dialect.default_version(name, type_)]}
    interfaces = [{"name": interface,
                   "commands": {c: versions(c, "command") for c in COMMANDS[interface]},
                   "events": {e: versions(e, "event") for e in EVENTS[interface]},
                   "maximumRequests": 100}
                  for interface in ("Common", "CashDispenser", "CashManagement", "Storage")]
    return {
        "interfaces": interfaces,
        "common": {"serviceVersion": "cashmix-sim 1.0",
                   "deviceInformation": [{"modelName": "Cashmix simulated dispenser",
                                          "serialNumber": "SIM-0001"}]},
        "cashDispenser": {"type": "selfServiceBill",
                          "maxDispenseItems": status.max_dispense_items,
                          "shutterControl": False,
                          "retractAreas": {"retract": True, "reject": False},
                          "intermediateStacker": True, "itemsTakenSensor": True,
                          "positions": {"center": True}},
        "cashManagement": {"cashBox": False, "exchangeType": {"byHand": True}}}


def publisher_payload(name: str, dialect: Dialect) -> dict[str, Any]:
    """Return the publisher's own Common.Status or Common.Capabilities payload."""
    if name == "Common.Status":
        return {"common": {"device": "online"}}
    commands = ["ServicePublisher.GetServices", "Common.Status", "Common.Capabilities"]
    return {"interfaces": [{"name": "Common", "commands": {
                c: {"versions": [dialect.default_version(c, "command")]} for c in commands},
                "events": {}, "maximumRequests": 100}],
            "common": {"serviceVersion": "cashmix-sim 1.0"}}
