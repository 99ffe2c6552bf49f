"""The simulated dispenser as an XFS4IoT service: commands in, events and completions out.

`DeviceService.execute` runs one command against the `sim://` dispenser and answers with the
standard's meanings (not one vendor's quirks): values that do not add up to the currencies
are `invalidDenomination`, more than `maxDispenseItems` notes `tooManyItems`, an unknown unit
or a short count `notDispensable`, a unit not ok or locked `cashUnitError` with a
`Storage.StorageErrorEvent`, Present with nothing stacked `noItems`, Dispense while notes wait
`itemsLeft`. The socket side (sim/xfs4iot/server.py) owns acknowledges, queues and timeouts.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from denomination import bank_optimal, equal_emptying
from denomination.errors import CashmixError
from kiosk_service.hardware.errors import (
    XFS_CODE_OF,
    CashUnitError,
    DispenserError,
    InvalidData,
    InvalidDenomination,
    NotDispensableByDevice,
    PowerFailure,
    TooManyItems,
)
from kiosk_service.hardware.results import EventKind, OperationResult
from kiosk_service.hardware.status import (
    CassetteStatus,
    DeviceStatus,
    OutputPosition,
)
from kiosk_service.hardware.xfs4iot.messages import Dialect, MessageError, MixRequest
from kiosk_service.hardware.xfs4iot.storage import face_number, minor_of
from sim.dispenser import SimulatedDispenser
from sim.xfs4iot.units import UnitMap, capabilities, common_status, storage

#: The service's own mixes (CashDispenser.GetMixTypes), as KAL's defaults number them.
SERVICE_MIXES = {
    "mix1": ("minimumBills", "Minimum number of notes", bank_optimal),
    "mix2": ("equalEmptying", "Equal emptying of cash units", equal_emptying),
}

#: Commands answered at once, beside the queue (as KAL's [CommandHandlerAsync] handlers are).
IMMEDIATE = frozenset({"Common.Status", "Common.Capabilities", "Storage.GetStorage",
                       "CashDispenser.GetPresentStatus", "Common.Cancel",
                       "ServicePublisher.GetServices", "CashDispenser.GetMixTypes",
                       "CashManagement.GetBankNoteTypes"})


@dataclass(frozen=True, slots=True)
class Event:
    """An event to send: `unsolicited` ones go to every connection, others with the command."""

    name: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    unsolicited: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's outcome: its events, then the completion code, error code and payload."""

    events: tuple[Event, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
    completion_code: str = "success"
    error_code: str | None = None
    error_description: str | None = None
    #: Drop the connection instead of completing (the disconnect fault).
    disconnect: bool = False


class DeviceService:
    """One dispenser service: the simulator, its unit names, and the last dispense's notes."""

    def __init__(self, device: SimulatedDispenser, units: UnitMap, dialect: Dialect, *,
                 exponents: Mapping[str, int], disconnect_on: frozenset[int] = frozenset(),
                 kal_codes: bool = False):
        self.device = device
        self.units = units
        self.dialect = dialect
        self.exponents = dict(exponents)
        self.lock = threading.RLock()
        self._disconnect_on = disconnect_on
        self._dispenses = 0
        self._last_dispensed: dict[str, int] = {}
        self._present_state = "notPresented"
        self._kal_codes = kal_codes

    # -- reading ----------------------------------------------------------------------------

    def status(self) -> DeviceStatus:
        """Return the simulator's report (the customer acts first, when their time has come)."""
        with self.lock:
            return self.device.status()

    def execute(self, name: str, payload: Mapping[str, Any]) -> Answer:
        """Run one command; unknown commands complete `unsupportedCommand`."""
        handler = getattr(self, "_" + name.replace(".", "_"), None)
        if handler is None:
            return Answer(completion_code="unsupportedCommand",
                          error_description=f"{name} is not supported by this service")
        with self.lock:
            try:
                return handler(payload)
            except MessageError as error:
                return Answer(completion_code="invalidData", error_description=str(error))

    def collect_take(self) -> OperationResult | None:
        """When the customer has taken the presented notes, collect it (once) and return it."""
        with self.lock:
            status = self.device.status()
            if status.position != OutputPosition.TAKEN:
                return None
            try:
                result = self.device.wait_for_take(0, retract_on_timeout=False)
            except DispenserError:
                return None
            self._present_state = "presented"
            return result if result.taken else None

    # -- Common and Storage -----------------------------------------------------------------

    def _Common_Status(self, payload):
        return Answer(payload=common_status(self.device.status()))

    def _Common_Capabilities(self, payload):
        return Answer(payload=capabilities(self.device.status(), self.dialect))

    def _Storage_GetStorage(self, payload):
        return Answer(payload={"storage": storage(self.device.status(), self.units,
                                                  self.exponents)})

    def _Storage_SetStorage(self, payload):
        requested = payload.get("storage")
        if not isinstance(requested, Mapping) or not requested:
            raise MessageError("storage must name at least one unit")
        status = self.device.status()
        cassettes = []
        for name, unit in requested.items():
            cassette_id = self.units.cassette_of(name)
            if cassette_id is None:
                return Answer(completion_code="commandErrorCode", error_code="invalidUnit",
                              error_description=f"no dispensing unit {name}")
            current = status.cassette(cassette_id).as_cassette()
            cash = unit.get("cash") if isinstance(unit, Mapping) else None
            if not isinstance(cash, Mapping):
                raise MessageError(f"{name}: only cash units can be set")
            configuration = cash.get("configuration") or {}
            if "currency" in configuration or "value" in configuration:
                wanted = (configuration.get("currency", current.currency),
                          minor_of(configuration.get("value"), self.exponents[current.currency])
                          if "value" in configuration else current.denomination)
                if wanted != (current.currency, current.denomination):
                    return Answer(completion_code="commandErrorCode",
                                  error_code="noExchangeActive",
                                  error_description="currency and value change only in an "
                                                    "exchange at the device")
            count = current.count
            initial = (cash.get("status") or {}).get("initial")
            if initial is not None:
                count = _counted(initial)
                if count is None:
                    raise MessageError(f"{name}: initial counts must be whole numbers")
            low = configuration.get("lowThreshold", current.low_threshold)
            locked = configuration.get("appLockOut", current.locked)
            cassettes.append(type(current)(
                current.id, current.currency, current.denomination, count,
                CassetteStatus.OK if current.status == CassetteStatus.OK else current.status,
                current.capacity, low if isinstance(low, int) else current.low_threshold,
                bool(locked)))
        try:
            self.device.load(cassettes)
        except DispenserError as error:
            return _failure(error)
        return Answer()

    # -- CashDispenser ----------------------------------------------------------------------

    def _CashDispenser_Dispense(self, payload):
        counts = self._denominate(self.dialect.dispense_mix(payload))
        if isinstance(counts, Answer):
            return counts
        self._dispenses += 1
        try:
            result = self.device.dispense(counts)
        except DispenserError as error:
            return self._dispense_failure(error)
        self._remember(result)
        events = tuple(self._note_errors(result))
        return Answer(events=events, payload=self._dispense_payload(result),
                      disconnect=self._dispenses in self._disconnect_on)

    def _CashDispenser_Denominate(self, payload):
        counts = self._denominate(self.dialect.dispense_mix(payload, denominate=True))
        if isinstance(counts, Answer):
            return counts
        denomination = self._denomination(counts)
        return Answer(payload={"result": denomination} if self.dialect.name != "2021-1"
                      else denomination)

    def _CashDispenser_GetMixTypes(self, payload):
        return Answer(payload={"mixes": {
            name: {"type": "algorithm", "algorithm": algorithm, "name": title}
            for name, (algorithm, title, _) in SERVICE_MIXES.items()}})

    def _CashManagement_GetBankNoteTypes(self, payload):
        status = self.device.status()
        items = {}
        for note_id, cassette in enumerate(status.cassettes, start=1):
            item = self.units.item_of(cassette.id)
            if item not in items:
                items[item] = {"cashItem": {
                    "noteID": note_id, "currency": cassette.currency, "release": 0,
                    "value": face_number(cassette.denomination, self.exponents[cassette.currency])},
                    "enabled": True}
        return Answer(payload={"items": items})

    def _denominate(self, request: MixRequest) -> dict[str, int] | Answer:
        """Return cassette id -> notes for a mix request, checked as the standard says, or the
        refusal to answer with."""
        status = self.device.status()
        counts: dict[str, int] = {}
        for name, notes in request.counts.items():
            if isinstance(notes, bool) or not isinstance(notes, int) or notes < 0:
                return _failure(InvalidDenomination(f"{name}: {notes!r} is not a note count"))
            cassette_id = self.units.cassette_of(name)
            if cassette_id is None:
                return _failure(NotDispensableByDevice(f"{name} is not a dispensing unit"))
            if notes:
                counts[cassette_id] = notes
        if request.mix is not None:
            mixed = self._service_mix(request, status)
            if isinstance(mixed, Answer):
                return mixed
            if any(mixed.get(c, 0) < n for c, n in counts.items()):
                return _failure(NotDispensableByDevice("the mix cannot include the partial "
                                                       "counts asked for"))
            counts = mixed
        if not counts:
            return _failure(InvalidDenomination("the application mix has no notes"))
        totals: dict[str, int] = {}
        for cassette_id, notes in counts.items():
            unit = status.cassette(cassette_id)
            totals[unit.currency] = totals.get(unit.currency, 0) + unit.denomination * notes
        asked = {code: minor_of(value, self.exponents.get(code, 0))
                 for code, value in request.currencies.items() if value}
        if asked != totals:
            return _failure(InvalidDenomination("the notes do not add up to the currencies"))
        if sum(counts.values()) > status.max_dispense_items:
            if self._kal_codes:     # KAL's Denominate.IsDispensable
                return _failure(CashUnitError("too many items"))
            return _failure(TooManyItems(f"over maxDispenseItems {status.max_dispense_items}"))
        for cassette_id, notes in counts.items():
            unit = status.cassette(cassette_id)
            if unit.status != CassetteStatus.OK or unit.locked:
                return self._unit_error(CashUnitError(f"{cassette_id} cannot dispense"),
                                        cassette_id, "locked" if unit.locked else "error")
            if unit.count < notes:
                if self._kal_codes:  # KAL's DispenseHandler: CashUnitNotEnough
                    return _failure(TooManyItems(f"{cassette_id} holds {unit.count} notes"))
                return _failure(NotDispensableByDevice(
                    f"{self.units.name_of(cassette_id)} holds {unit.count} notes"))
        return counts

    def _service_mix(self, request: MixRequest, status: DeviceStatus
                     ) -> dict[str, int] | Answer:
        """Denominate with one of the service's own mixes (a third-party client's way)."""
        if request.mix not in SERVICE_MIXES:
            return Answer(completion_code="commandErrorCode", error_code="invalidMixNumber",
                          error_description=f"no mix {request.mix}; GetMixTypes lists them")
        amounts = {code: minor_of(value, self.exponents.get(code, 0))
                   for code, value in request.currencies.items() if value}
        if len(amounts) != 1 or None in amounts.values():
            return _failure(InvalidDenomination("a mix needs one currency and an exact amount"))
        (currency, amount), = amounts.items()
        try:
            plan = SERVICE_MIXES[request.mix][2](amount, currency, status.for_planning(),
                                                 max_notes=status.max_dispense_items)
        except CashmixError as error:
            return _failure(NotDispensableByDevice(error.message))
        return {c: n for c, n in plan.by_cassette.items() if n}

    def _CashDispenser_Present(self, payload):
        try:
            self.device.present()
        except DispenserError as error:
            events = ()
            if error.result is not None and error.result.events_of(EventKind.SHUTTER_JAMMED):
                events = (Event("CashManagement.ShutterStatusChangedEvent",
                                {"position": "outDefault", "shutter": "jammed"}, True),)
            return _failure(error, events)
        self._present_state = "presented"
        events = (Event("CashManagement.ItemsPresentedEvent",
                        self.dialect.items_event_payload(), True),)
        return Answer(events=events, payload=self.dialect.present_payload())

    def _CashDispenser_Reject(self, payload):
        try:
            self.device.reject()
        except DispenserError as error:
            return _failure(error)
        return Answer()

    def _CashDispenser_GetPresentStatus(self, payload):
        return Answer(payload={"denomination": self._denomination(self._last_dispensed),
                               "presentState": self._present_state})

    # -- CashManagement ---------------------------------------------------------------------

    def _CashManagement_Retract(self, payload):
        area = self.dialect.retract_area(payload)
        if area != "retract":
            return Answer(completion_code="commandErrorCode", error_code="notRetractArea",
                          error_description=f"this device retracts to `retract` only, not {area}")
        try:
            self.device.retract()
        except DispenserError as error:
            events = ()
            if error.code == "items_taken":
                events = (Event("CashManagement.ItemsTakenEvent",
                                self.dialect.items_event_payload(), True),)
            return _failure(error, events)
        return Answer()

    def _CashManagement_Reset(self, payload):
        try:
            self.device.reset()
        except DispenserError as error:
            return _failure(error)
        return Answer()

    # -- inside -----------------------------------------------------------------------------

    def _remember(self, result: OperationResult) -> None:
        self._last_dispensed = {c: m.stacked for c, m in result.notes.items() if m.stacked}
        self._present_state = "notPresented"

    def _dispense_failure(self, error: DispenserError) -> Answer:
        result = error.result
        if result is None:
            return _failure(error)
        self._remember(result)
        events = list(self._note_errors(result))
        events.append(Event("CashDispenser.IncompleteDispenseEvent",
                            self._denomination(self._last_dispensed)))
        if isinstance(error, PowerFailure):
            return Answer(events=tuple(events), payload=self._dispense_payload(result),
                          completion_code="hardwareError", error_description=error.message)
        failure = "empty" if result.events_of(EventKind.CASSETTE_EMPTY) else "error"
        if error.cassette:
            events.append(self._storage_error(error.cassette, failure))
        return Answer(events=tuple(events), payload=self._dispense_payload(result),
                      completion_code="commandErrorCode",
                      error_code=XFS_CODE_OF.get(type(error), "cashUnitError"),
                      error_description=error.message)

    def _unit_error(self, error: DispenserError, cassette_id: str, failure: str) -> Answer:
        return _failure(error, (self._storage_error(cassette_id, failure),))

    def _storage_error(self, cassette_id: str, failure: str) -> Event:
        name = self.units.name_of(cassette_id)
        unit = storage(self.device.status(), self.units, self.exponents)[name]
        return Event("Storage.StorageErrorEvent", {"failure": failure, "unit": {name: unit}})

    def _note_errors(self, result: OperationResult):
        for event in result.events:
            if event.kind == EventKind.DOUBLE_PICK:
                yield Event("CashManagement.NoteErrorEvent", {"reason": "doubleNote"})
            elif event.kind == EventKind.PICK_FAILURE:
                yield Event("CashManagement.NoteErrorEvent", {"reason": "otherNoteError"})

    def _denomination(self, counts: Mapping[str, int]) -> dict[str, Any]:
        status = self.device.status()
        totals: dict[str, int] = {}
        values = {}
        for cassette_id, notes in counts.items():
            unit = status.cassette(cassette_id)
            totals[unit.currency] = totals.get(unit.currency, 0) + unit.denomination * notes
            values[self.units.name_of(cassette_id)] = notes
        currencies = {code: face_number(value, self.exponents[code])
                      for code, value in totals.items()}
        return {"currencies": currencies, "values": values} if values else {}

    def _dispense_payload(self, result: OperationResult) -> dict[str, Any]:
        moved = {self.units.name_of(c): m for c, m in result.notes.items() if m.picked}
        out = {}
        for name, movement in moved.items():
            item = self.units.item_of(self.units.cassette_of(name))
            counters = {}
            for counter, notes in (("stacked", movement.stacked),
                                   ("rejected", movement.rejected),
                                   ("transport", movement.unknown)):
                if notes:
                    counters[counter] = {"unrecognized": 0, item: {"fit": notes}}
            out[name] = counters
        payload: dict[str, Any] = {"denomination": self._denomination(self._last_dispensed),
                                   "bunches": "1" if self._last_dispensed else "0"}
        if out and self.dialect.name == "2021-1":
            payload["storage"] = {"out": out}
        if not payload["denomination"]:
            del payload["denomination"]
        return payload


def _failure(error: DispenserError, events: tuple[Event, ...] = ()) -> Answer:
    """Answer a refused or failed command with the XFS4IoT code of our error."""
    code = XFS_CODE_OF.get(type(error))
    if isinstance(error, InvalidData) or code is None:
        return Answer(events=events, completion_code="invalidData",
                      error_description=error.message)
    completion_codes = {"deviceNotReady", "hardwareError", "sequenceError"}
    if code in completion_codes:
        return Answer(events=events, completion_code=code, error_description=error.message)
    return Answer(events=events, completion_code="commandErrorCode", error_code=code,
                  error_description=error.message)


def _counted(counts: Any) -> int | None:
    if not isinstance(counts, Mapping):
        return None
    total = 0
    for key, value in counts.items():
        if key == "unrecognized":
            if not isinstance(value, int) or value < 0:
                return None
            total += value
        elif isinstance(value, Mapping):
            for notes in value.values():
                if isinstance(notes, bool) or not isinstance(notes, int) or notes < 0:
                    return None
                total += notes
        else:
            return None
    return total


