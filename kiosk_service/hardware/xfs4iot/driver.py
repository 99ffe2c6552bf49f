"""The `xfs4iot://` driver: any XFS4IoT cash dispenser, over WebSocket, without vendor code.

    device = open_dispenser("xfs4iot://127.0.0.1:5846/xfs4iot/v1.0?dialect=2024-3",
                            cassettes=terminal.cassettes, units={"A": "unit1"})

Cashmix picks the mix, so a dispense is always an application mix by storage unit. Where the
notes went is read from the device's own counters (Storage.GetStorage before and after each
operation), never inferred: a dropped connection, a partial dispense or a vendor that leaves
the completion's `storage` empty all end in the same exact accounting. Extra dependencies of
`from_url`: `cassettes` (checked against the device's units when opened: a currency or
denomination that differs is ConfigurationMismatch, never a dispense of the wrong note),
`units` (cassette id -> storage unit name, where it is not the unit whose `id` is the
cassette's id), `exponents` (currency -> ISO 4217 exponent, default the catalogue's) and
`observer` (called with every message, for transcripts and tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, Self

from denomination.cassettes import Cassette, CassetteStatus
from kiosk_service.hardware.clock import Clock, SystemClock
from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import (
    ConfigurationMismatch,
    DeviceNotReady,
    DispenserError,
    HardwareError,
    InvalidUnit,
    ItemsLeft,
    ItemsTaken,
    PowerFailure,
    SequenceError,
)
from kiosk_service.hardware.results import DeviceEvent, EventKind, Operation, OperationResult
from kiosk_service.hardware.status import BinKind, DeviceState, DeviceStatus
from kiosk_service.hardware.xfs4iot.cassette_map import CassetteMap
from kiosk_service.hardware.xfs4iot.common_status import device_state, shutter
from kiosk_service.hardware.xfs4iot.connection import Connection, Observer, Reply
from kiosk_service.hardware.xfs4iot.discovery import discover
from kiosk_service.hardware.xfs4iot.link import Link, error_from
from kiosk_service.hardware.xfs4iot.messages import Dialect2024, dialect_named
from kiosk_service.hardware.xfs4iot.options import XFSOptions
from kiosk_service.hardware.xfs4iot.position import OutputTracker
from kiosk_service.hardware.xfs4iot.refusals import (
    check_plan,
    configuration_problems,
    load_problems,
)
from kiosk_service.hardware.xfs4iot.storage import (
    bin_state,
    counts_object,
    face_number,
    item_name,
    parse_storage,
)

#: Slice of a wait for the customer in which other callers may use the device.
WAIT_SLICE = 0.2

_NOTE_ERRORS = {"doubleNote": EventKind.DOUBLE_PICK}
_STORAGE_FAILURES = {"error": EventKind.JAM, "empty": EventKind.CASSETTE_EMPTY,
                     "missing": EventKind.CASSETTE_MISSING}


class XFS4IoTDispenser(Dispenser):
    """The `xfs4iot://` and `xfs4iots://` driver (see the module docstring).

    One operation at a time (a lock); `wait_for_take` lets others in between its slices. The
    output position is tracked (position.py) from the operations and unsolicited events and
    brought in line with Common.Status before every operation that depends on it.
    """

    def __init__(self, options: XFSOptions, *, clock: Clock, exponents: Mapping[str, int],
                 units: Mapping[str, str] | None = None,
                 cassettes: Iterable[Cassette] | None = None,
                 observer: Observer | None = None):
        self.options = options
        self._clock = clock
        self._exponents = dict(exponents)
        self._explicit = dict(units or {})
        self._declared: dict[str, CassetteStatus] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._interrupted: OperationResult | None = None
        self._service = discover(options, observer=observer)
        dialect = dialect_named(options.dialect)
        if isinstance(dialect, Dialect2024):
            dialect.versions = dict(self._service.versions)
        self._dialect = dialect
        # The link and the output tracker need each other: the link's callbacks look it up late.
        connection = Connection(
            self._service.uri, dialect, ssl_context=options.ssl_context(), observer=observer,
            on_unsolicited=lambda message: self._output.on_unsolicited(message))
        self._link = Link(connection, timeout=options.timeout, url=options.publisher,
                          on_reconnect=lambda: self._output.reconcile_take(),
                          unit_cassettes=lambda: self._map.unit_cassettes())
        self._map = CassetteMap({}, self._explicit)
        self._output = OutputTracker(self._link, lambda: self._map, self._read_storage)
        self._link.open()
        self._read_storage()
        if cassettes is not None:
            problems = configuration_problems(self._map, list(cassettes))
            if problems:
                self.close()
                raise ConfigurationMismatch(
                    "the device's storage units do not match the terminal file: " + "; ".join(
                        f"{cid}: {' '.join(found)}" for cid, found in sorted(problems.items())),
                    errors=problems)
        self._output.sync()     # a stack the device still shows is ours to finish

    @classmethod
    def from_url(cls, url: str, *, clock: Clock | None = None,
                 cassettes: Iterable[Cassette] | None = None,
                 units: Mapping[str, str] | None = None,
                 exponents: Mapping[str, int] | None = None,
                 observer: Observer | None = None) -> Self:
        """Open the device at `url`; raises DriverURLError for a bad URL, DeviceUnreachable
        when no service answers, ConfigurationMismatch when its units disagree with
        `cassettes`."""
        options = XFSOptions.from_url(url)
        if exponents is None:
            from denomination.catalogue import default_catalogue
            exponents = {code: currency.exponent
                         for code, currency in default_catalogue().currencies.items()}
        return cls(options, clock=clock or SystemClock(), exponents=exponents, units=units,
                   cassettes=cassettes, observer=observer)

    # -- reading ----------------------------------------------------------------------------

    def status(self) -> DeviceStatus:
        """Return the device's report, read from Common.Status and Storage.GetStorage."""
        with self._lock:
            self._check_open()
            common = self._link.query("Common.Status").completion.payload
            self._read_storage()
            self._output.sync(common)
            units = self._map.units.values()
            return DeviceStatus(
                device=device_state(common), position=self._output.position,
                shutter=shutter(common), cassettes=self._map.states(),
                reject_bin=bin_state(BinKind.REJECT, units),
                retract_bin=bin_state(BinKind.RETRACT, units),
                max_dispense_items=self._service.max_dispense_items, stack=self._output.stack(),
                transport=self._map.counter("unknown"), interrupted=self._interrupted)

    # -- staff ------------------------------------------------------------------------------

    def load(self, cassettes: Iterable[Cassette]) -> DeviceStatus:
        """Declare what staff loaded (Storage.SetStorage: `initial`, thresholds, lock).

        The currency and denomination of a unit are the device's (set in an exchange at the
        device): a load that would change them is InvalidUnit, as is a count over the unit's
        capacity. A cassette staff mark inoperative or missing is locked out (appLockOut).
        """
        with self._lock:
            cassettes = list(cassettes)
            self._check_idle(self._ready())
            self._read_storage()
            problems = load_problems(self._map, cassettes, self._exponents)
            if problems:
                raise InvalidUnit("the load is invalid", errors=problems)
            storage = {}
            for cassette in cassettes:
                item = item_name(cassette.currency, cassette.denomination,
                                 self._exponents[cassette.currency])
                configuration: dict[str, Any] = {
                    "appLockOut": cassette.locked or cassette.status != CassetteStatus.OK,
                    "cashItems": [item]}
                if cassette.low_threshold >= 1:
                    configuration["lowThreshold"] = cassette.low_threshold
                storage[self._map.unit_of(cassette.id).name] = {"cash": {
                    "configuration": configuration,
                    "status": {"initial": counts_object(item, cassette.count)}}}
            reply = self._link.act("Storage.SetStorage", {"storage": storage})
            if not reply.ok:
                raise self._error(reply, "the device refused the load")
            self._declared.update({c.id: CassetteStatus(c.status) for c in cassettes})
            return self.status()

    # -- the dispense cycle -----------------------------------------------------------------

    def dispense(self, counts: Mapping[str, int], *, amount: int | None = None) -> OperationResult:
        """Stack an application mix (see Dispenser.dispense for every error code)."""
        with self._lock:
            self._check_idle(self._ready())
            before = self._read_storage()
            requested = check_plan(before, counts, amount, self._service.max_dispense_items)
            totals: dict[str, int] = {}
            for cassette_id, notes in requested.items():
                unit = before.unit_of(cassette_id)
                totals[unit.currency] = totals.get(unit.currency, 0) + unit.denomination * notes
            payload = self._dialect.dispense_payload(
                {code: face_number(value, self._exponents[code])
                 for code, value in totals.items()},
                {before.unit_of(c).name: n for c, n in requested.items()})
            reply = self._link.act("CashDispenser.Dispense", payload, lost_ok=True)
            movements = self._read_storage().moved_since(before, requested=requested)
            self._output.dispensed(any(m.stacked for m in movements.values()))
            complete = all(movements[c].stacked == n for c, n in requested.items())
            ok = complete and (reply is None or reply.ok)
            result = OperationResult(Operation.DISPENSE, movements, self._output.position, ok,
                                     self._events(reply))
            if ok:
                return result
            if reply is None:
                raise HardwareError("the connection dropped mid-dispense; the device's counters "
                                    "say what was stacked", result=result)
            common = self._link.query("Common.Status").completion.payload
            if device_state(common) == DeviceState.POWER_OFF:
                self._interrupted = result
                raise PowerFailure("power lost mid-dispense; reset() reports what was done",
                                   result=result)
            moved = any(m.picked for m in movements.values())
            raise self._error(reply, "the dispense failed", result=result if moved else None)

    def present(self) -> OperationResult:
        """Present the stacked notes (CashDispenser.Present)."""
        with self._lock:
            before = self._stacked_counters("present")
            with self._output.presenting():
                reply = self._link.act("CashDispenser.Present", {"position": "outDefault"},
                                       lost_ok=True)
                after = self._read_storage()
            moved = {c: m for c, m in after.moved_since(before).items() if m.presented}
            if moved:
                self._output.presented_now(before.counter("stacked"))
                return OperationResult(Operation.PRESENT, moved, self._output.position, events=(
                    DeviceEvent(EventKind.ITEMS_PRESENTED,
                                notes=sum(m.presented for m in moved.values())),))
            if reply is None:
                raise HardwareError("the connection dropped mid-present; nothing was presented")
            jammed = (DeviceEvent(EventKind.SHUTTER_JAMMED),) if (
                reply.completion.error_code == "shutterNotOpen") else ()
            raise self._error(reply, "the present failed", result=OperationResult(
                Operation.PRESENT, {}, self._output.position, False, jammed) if jammed else None)

    def wait_for_take(self, timeout: float, *, retract_on_timeout: bool = True) -> OperationResult:
        """Wait for CashManagement.ItemsTakenEvent; retract on timeout (see Dispenser)."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._lock:
            self._ready()
        while True:
            with self._lock:
                self._link.drain()
                if self._output.taken:
                    return self._output.report_take(Operation.WAIT_FOR_TAKE, ())
                self._output.check_presented("wait for")
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = (DeviceEvent(EventKind.TAKE_TIMEOUT),)
                    if not retract_on_timeout:
                        return OperationResult(Operation.WAIT_FOR_TAKE, {},
                                               self._output.position, events=timed_out)
                    return self._retract(Operation.WAIT_FOR_TAKE,
                                         timed_out + (DeviceEvent(EventKind.AUTO_RETRACT),))
                self._link.listen(min(left, WAIT_SLICE))

    def retract(self) -> OperationResult:
        """Retract presented notes to the retract bin (CashManagement.Retract)."""
        with self._lock:
            self._ready()
            self._link.drain()
            if self._output.taken:
                raise ItemsTaken("the customer took the notes before the retract",
                                 result=self._output.report_take(Operation.RETRACT, ()))
            self._output.check_presented("retract")
            result = self._retract(Operation.RETRACT, ())
            if result.taken:
                raise ItemsTaken("the customer took the notes as the shutter closed",
                                 result=result)
            return result

    def reject(self) -> OperationResult:
        """Send the stacked notes to the reject bin (CashDispenser.Reject)."""
        with self._lock:
            before = self._stacked_counters("reject")
            reply = self._link.act("CashDispenser.Reject", None, lost_ok=True)
            moved = {c: m for c, m in self._read_storage().moved_since(before).items()
                     if m.rejected}
            if not moved and reply is not None and not reply.ok:
                raise self._error(reply, "the reject failed")
            self._output.rejected()
            return OperationResult(Operation.REJECT, moved, self._output.position)

    def reset(self) -> OperationResult:
        """Recover the device (CashManagement.Reset): the transport is cleared to the reject
        bin; `.recovered` is the partial result of a dispense a power loss cut."""
        with self._lock:
            self._check_open()
            before = self._read_storage()
            reply = self._link.act("CashManagement.Reset", None, lost_ok=True)
            after = self._read_storage()
            if reply is not None and not reply.ok:
                raise self._error(reply, "the reset failed")
            moved = {c: m for c, m in after.moved_since(before).items() if m.rejected}
            events = tuple(DeviceEvent(EventKind.TRANSPORT_CLEARED, c, m.rejected)
                           for c, m in sorted(moved.items()))
            recovered, self._interrupted = self._interrupted, None
            self._output.sync()
            return OperationResult(Operation.RESET, moved, self._output.position, events=events,
                                   recovered=recovered)

    def close(self) -> None:
        """Close the connection; the device keeps its state."""
        with self._lock:
            self._closed = True
            self._link.close()

    # -- state ------------------------------------------------------------------------------

    def _read_storage(self) -> CassetteMap:
        """Read the units and their counters; return (and keep) the new map."""
        reply = self._link.query("Storage.GetStorage")
        self._map = CassetteMap(parse_storage(reply.completion.payload.get("storage"),
                                              self._exponents), self._explicit, self._declared)
        return self._map

    def _retract(self, operation: Operation, events: tuple) -> OperationResult:
        before = self._map
        reply = self._link.act("CashManagement.Retract",
                               self._dialect.retract_payload(self._service.retract_area),
                               lost_ok=True)
        self._link.drain()
        retracted = bin_state(BinKind.RETRACT, self._read_storage().units.values()).operations \
            > bin_state(BinKind.RETRACT, before.units.values()).operations
        # Taken: reported as such, or nothing came back and nothing is there any more (a take
        # the driver did not hear, say while the device restarted).
        gone = reply is None or reply.completion.error_code in ("itemsTaken", "noItems")
        if self._output.taken or (gone and not retracted):
            return self._output.report_take(operation, events)
        if not retracted and reply is not None and not reply.ok:
            raise self._error(reply, "the retract failed")
        movements = {c: self._map.movement(c, retracted=n)
                     for c, n in sorted(self._output.presented.items())}
        self._output.retracted()
        return OperationResult(operation, movements, self._output.position, events=events)

    # -- checks and answers -----------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceNotReady("the driver is closed")

    def _ready(self) -> Mapping[str, Any]:
        """Raise DeviceNotReady unless the device is online; return its Common.Status."""
        self._check_open()
        common = self._link.query("Common.Status").completion.payload
        state = device_state(common)
        if state != DeviceState.ONLINE:
            raise DeviceNotReady(f"the device is {state}; reset() first")
        return common

    def _stacked_counters(self, operation: str) -> CassetteMap:
        """Raise NoItems unless notes are stacked, as the device reports it now; return the
        counters before `operation` moves them."""
        self._output.sync(self._ready())
        self._output.check_stacked(operation)
        return self._read_storage()

    def _check_idle(self, common: Mapping[str, Any]) -> None:
        self._link.drain()
        self._output.sync(common)
        if self._output.taken:
            raise SequenceError("the customer took the last stack; collect it with "
                                "wait_for_take() first")
        if not self._output.position.empty:
            raise ItemsLeft(f"notes are {self._output.position} at the output position")

    def _events(self, reply: Reply | None) -> tuple[DeviceEvent, ...]:
        """Return the driver interface's events for a dispense's XFS4IoT events."""
        if reply is None:
            return ()
        by_unit = self._map.unit_cassettes()
        events = []
        for event in reply.events:
            if event.name == "CashManagement.NoteErrorEvent":
                kind = _NOTE_ERRORS.get(event.payload.get("reason"), EventKind.PICK_FAILURE)
                events.append(DeviceEvent(kind, notes=2 if kind == EventKind.DOUBLE_PICK else 1))
            elif event.name == "Storage.StorageErrorEvent":
                kind = _STORAGE_FAILURES.get(event.payload.get("failure"))
                unit = next(iter((event.payload.get("unit") or {}).keys()), None)
                if kind:
                    events.append(DeviceEvent(kind, by_unit.get(unit)))
        return tuple(events)

    def _error(self, reply: Reply, what: str, *, result: OperationResult | None = None
               ) -> DispenserError:
        return error_from(reply, what, self._map.unit_cassettes(), result=result)

    def __repr__(self) -> str:
        return f"XFS4IoTDispenser({self.options!r})"
