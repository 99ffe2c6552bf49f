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
from typing import Any

from kiosk_service.hardware.errors import XFS_CODE_OF, DispenserError, PowerFailure
from kiosk_service.hardware.results import EventKind, OperationResult
from kiosk_service.hardware.status import CassetteStatus, DeviceStatus, OutputPosition
from kiosk_service.hardware.xfs4iot.messages import Dialect, MessageError
from kiosk_service.hardware.xfs4iot.storage import face_number, minor_of
from sim.dispenser import SimulatedDispenser
from sim.xfs4iot.answers import Answer, Event, answer_of, failure
from sim.xfs4iot.denominate import SERVICE_MIXES, denominate, storage_error
from sim.xfs4iot.units import UnitMap, capabilities, common_status, storage

#: Commands answered at once, beside the queue (as KAL's [CommandHandlerAsync] handlers are).
IMMEDIATE = frozenset({"Common.Status", "Common.Capabilities", "Storage.GetStorage",
                       "CashDispenser.GetPresentStatus", "Common.Cancel",
                       "ServicePublisher.GetServices", "CashDispenser.GetMixTypes",
                       "CashManagement.GetBankNoteTypes"})


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
        return answer_of(lambda: self.device.load(cassettes))

    # -- CashDispenser ----------------------------------------------------------------------

    def _CashDispenser_Dispense(self, payload):
        counts = denominate(self.dialect.dispense_mix(payload), self.device.status(),
                            self.units, self.exponents, kal_codes=self._kal_codes)
        if isinstance(counts, Answer):
            return counts
        self._dispenses += 1
        try:
            result = self.device.dispense(counts)
        except DispenserError as error:
            return self._dispensefailure(error)
        self._remember(result)
        events = tuple(self._note_errors(result))
        return Answer(events=events, payload=self._dispense_payload(result),
                      disconnect=self._dispenses in self._disconnect_on)

    def _CashDispenser_Denominate(self, payload):
        counts = denominate(self.dialect.dispense_mix(payload, denominate=True),
                            self.device.status(), self.units, self.exponents,
                            kal_codes=self._kal_codes)
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

    def _CashDispenser_Present(self, payload):
        try:
            self.device.present()
        except DispenserError as error:
            events = ()
            if error.result is not None and error.result.events_of(EventKind.SHUTTER_JAMMED):
                events = (Event("CashManagement.ShutterStatusChangedEvent",
                                {"position": "outDefault", "shutter": "jammed"}, True),)
            return failure(error, events)
        self._present_state = "presented"
        events = (Event("CashManagement.ItemsPresentedEvent",
                        self.dialect.items_event_payload(), True),)
        return Answer(events=events, payload=self.dialect.present_payload())

    def _CashDispenser_Reject(self, payload):
        return answer_of(self.device.reject)

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
            return failure(error, events)
        return Answer()

    def _CashManagement_Reset(self, payload):
        return answer_of(self.device.reset)

    # -- inside -----------------------------------------------------------------------------

    def _remember(self, result: OperationResult) -> None:
        self._last_dispensed = {c: m.stacked for c, m in result.notes.items() if m.stacked}
        self._present_state = "notPresented"

    def _dispensefailure(self, error: DispenserError) -> Answer:
        result = error.result
        if result is None:
            return failure(error)
        self._remember(result)
        events = list(self._note_errors(result))
        events.append(Event("CashDispenser.IncompleteDispenseEvent",
                            self._denomination(self._last_dispensed)))
        if isinstance(error, PowerFailure):
            return Answer(events=tuple(events), payload=self._dispense_payload(result),
                          completion_code="hardwareError", error_description=error.message)
        failure_kind = "empty" if result.events_of(EventKind.CASSETTE_EMPTY) else "error"
        if error.cassette:
            events.append(storage_error(self.device.status(), self.units, self.exponents,
                                        error.cassette, failure_kind))
        return Answer(events=tuple(events), payload=self._dispense_payload(result),
                      completion_code="commandErrorCode",
                      error_code=XFS_CODE_OF.get(type(error), "cashUnitError"),
                      error_description=error.message)

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


