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
from dataclasses import replace
from typing import Any, Self

from denomination.cassettes import Cassette, CassetteStatus
from kiosk_service.hardware.clock import Clock, SystemClock
from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import (
    XFS_ERRORS,
    CashUnitError,
    CommandTimeout,
    ConfigurationMismatch,
    DeviceNotReady,
    DeviceUnreachable,
    DispenserError,
    HardwareError,
    InvalidDenomination,
    InvalidUnit,
    ItemsLeft,
    ItemsTaken,
    NoItems,
    NotDispensableByDevice,
    PowerFailure,
    SequenceError,
    TooManyItems,
    UnsupportedCommand,
)
from kiosk_service.hardware.results import (
    DeviceEvent,
    EventKind,
    NoteMovement,
    Operation,
    OperationResult,
)
from kiosk_service.hardware.status import (
    BinKind,
    DeviceState,
    DeviceStatus,
    OutputPosition,
    ShutterState,
)
from kiosk_service.hardware.xfs4iot.connection import (
    CommandRefused,
    Connection,
    LinkDown,
    Observer,
    Reply,
)
from kiosk_service.hardware.xfs4iot.discovery import Service, discover
from kiosk_service.hardware.xfs4iot.messages import Dialect2024, Message, dialect_named
from kiosk_service.hardware.xfs4iot.options import XFSOptions
from kiosk_service.hardware.xfs4iot.storage import (
    Unit,
    bin_state,
    counts_object,
    face_number,
    item_name,
    parse_storage,
)

#: Seconds between reconnection attempts after a drop, doubling up to the last.
RECONNECT_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
#: Slice of a wait for the customer in which other callers may use the device.
WAIT_SLICE = 0.2

_DEVICE_STATES = {"online": DeviceState.ONLINE, "deviceBusy": DeviceState.ONLINE,
                  "powerOff": DeviceState.POWER_OFF}
_NOTE_ERRORS = {"doubleNote": EventKind.DOUBLE_PICK}
_STORAGE_FAILURES = {"error": EventKind.JAM, "empty": EventKind.CASSETTE_EMPTY,
                     "missing": EventKind.CASSETTE_MISSING}


class XFS4IoTDispenser(Dispenser):
    """The `xfs4iot://` and `xfs4iots://` driver (see the module docstring)."""

    def __init__(self, options: XFSOptions, *, clock: Clock, exponents: Mapping[str, int],
                 units: Mapping[str, str] | None = None,
                 cassettes: Iterable[Cassette] | None = None,
                 observer: Observer | None = None):
        self.options = options
        self._clock = clock
        self._exponents = dict(exponents)
        self._explicit_units = dict(units or {})
        self._observer = observer
        self._lock = threading.RLock()
        self._closed = False
        self._position = OutputPosition.IDLE
        self._presented: dict[str, int] = {}
        self._taken = False
        self._presenting = False     # a take reported before Present completes still counts
        self._interrupted: OperationResult | None = None
        self._declared: dict[str, CassetteStatus] = {}
        self._service: Service = discover(options, observer=observer)
        dialect = dialect_named(options.dialect)
        if isinstance(dialect, Dialect2024):
            dialect.versions = dict(self._service.versions)
        self._dialect = dialect
        self._conn = Connection(self._service.uri, dialect, ssl_context=options.ssl_context(),
                                on_unsolicited=self._unsolicited, observer=observer)
        self._open()
        self._units = self._read_storage()
        if cassettes is not None:
            self._check_configuration(list(cassettes))
        self._adopt_position()

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
            common = self._query("Common.Status")
            self._units = self._read_storage()
            return self._report(common.completion.payload)

    # -- staff ------------------------------------------------------------------------------

    def load(self, cassettes: Iterable[Cassette]) -> DeviceStatus:
        """Declare what staff loaded (Storage.SetStorage: `initial`, thresholds, lock).

        The currency and denomination of a unit are the device's (set in an exchange at the
        device): a load that would change them is InvalidUnit, as is a count over the unit's
        capacity.
        """
        with self._lock:
            common = self._ready()
            cassettes = list(cassettes)
            self._check_idle(common)
            self._units = self._read_storage()
            problems = self._load_problems(cassettes)
            if problems:
                raise InvalidUnit("the load is invalid", errors=problems)
            storage = {}
            for cassette in cassettes:
                unit = self._unit_of(cassette.id)
                exponent = self._exponents[cassette.currency]
                item = item_name(cassette.currency, cassette.denomination, exponent)
                configuration: dict[str, Any] = {
                    "appLockOut": cassette.locked or cassette.status != CassetteStatus.OK,
                    "cashItems": [item]}
                if cassette.low_threshold >= 1:
                    configuration["lowThreshold"] = cassette.low_threshold
                storage[unit.name] = {"cash": {"configuration": configuration, "status": {
                    "initial": counts_object(item, cassette.count)}}}
            reply = self._act("Storage.SetStorage", {"storage": storage})
            if not reply.ok:
                raise self._error(reply, "the device refused the load")
            for cassette in cassettes:
                self._declared[cassette.id] = CassetteStatus(cassette.status)
            return self.status()

    # -- the dispense cycle -----------------------------------------------------------------

    def dispense(self, counts: Mapping[str, int], *, amount: int | None = None) -> OperationResult:
        """Stack an application mix (see Dispenser.dispense for every error code)."""
        with self._lock:
            self._check_idle(self._ready())
            before = self._units = self._read_storage()
            requested = self._check_plan(counts, amount)
            totals: dict[str, int] = {}
            for cassette_id, notes in requested.items():
                unit = self._unit_of(cassette_id)
                totals[unit.currency] = totals.get(unit.currency, 0) + unit.denomination * notes
            currencies = {code: face_number(value, self._exponents[code])
                          for code, value in totals.items()}
            payload = self._dialect.dispense_payload(
                currencies, {self._unit_of(c).name: n for c, n in requested.items()})
            reply = self._act("CashDispenser.Dispense", payload, lost_ok=True)
            after = self._units = self._read_storage()
            movements = self._moved(before, after, requested=requested)
            stacked = any(m.stacked for m in movements.values())
            self._position = OutputPosition.STACKED if stacked else OutputPosition.IDLE
            events = self._events(reply)
            complete = all(movements[c].stacked == n for c, n in requested.items())
            ok = reply.ok if reply else complete
            result = OperationResult(Operation.DISPENSE, movements, self._position,
                                     ok and complete, events)
            if ok and complete:
                return result
            moved = any(m.picked for m in movements.values())
            if reply is None:
                raise HardwareError("the connection dropped mid-dispense; the device's counters "
                                    "say what was stacked", result=result)
            if self._device_state() == DeviceState.POWER_OFF:
                self._interrupted = result
                raise PowerFailure("power lost mid-dispense; reset() reports what was done",
                                   result=result)
            raise self._error(reply, "the dispense failed", result=result if moved else None)

    def present(self) -> OperationResult:
        """Present the stacked notes (CashDispenser.Present)."""
        with self._lock:
            self._sync_position(self._ready())
            if self._position != OutputPosition.STACKED:
                raise NoItems(f"nothing stacked to present (position {self._position})")
            before = self._units = self._read_storage()
            stack = self._out_counter(before, "stacked")
            self._presenting, self._taken = True, False
            try:
                reply = self._act("CashDispenser.Present",
                                  {"position": "outDefault"}, lost_ok=True)
            finally:
                self._presenting = False
            after = self._units = self._read_storage()
            moved = self._moved(before, after)
            presented = {c: m.presented for c, m in moved.items() if m.presented}
            if presented:
                self._presented = dict(stack)
                self._position = OutputPosition.TAKEN if self._taken else \
                    OutputPosition.PRESENTED
                return OperationResult(Operation.PRESENT, {
                    c: m for c, m in moved.items() if m.presented}, self._position,
                    events=(DeviceEvent(EventKind.ITEMS_PRESENTED,
                                        notes=sum(presented.values())),))
            if reply is None:
                raise HardwareError("the connection dropped mid-present; nothing was presented")
            jammed = (DeviceEvent(EventKind.SHUTTER_JAMMED),) if (
                reply.completion.error_code == "shutterNotOpen") else ()
            raise self._error(reply, "the present failed", result=OperationResult(
                Operation.PRESENT, {}, self._position, False, jammed) if jammed else None)

    def wait_for_take(self, timeout: float, *, retract_on_timeout: bool = True) -> OperationResult:
        """Wait for CashManagement.ItemsTakenEvent; retract on timeout (see Dispenser)."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._lock:
            self._ready()
        while True:
            with self._lock:
                self._conn_drain()
                if self._taken:
                    return self._report_take(Operation.WAIT_FOR_TAKE, ())
                if self._position != OutputPosition.PRESENTED or not self._presented:
                    raise NoItems(f"nothing presented to wait for (position {self._position})")
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = (DeviceEvent(EventKind.TAKE_TIMEOUT),)
                    if not retract_on_timeout:
                        return OperationResult(Operation.WAIT_FOR_TAKE, {}, self._position,
                                               events=timed_out)
                    return self._retract(Operation.WAIT_FOR_TAKE,
                                         timed_out + (DeviceEvent(EventKind.AUTO_RETRACT),))
                self._receive(min(left, WAIT_SLICE))

    def retract(self) -> OperationResult:
        """Retract presented notes to the retract bin (CashManagement.Retract)."""
        with self._lock:
            self._ready()
            self._conn_drain()
            if self._taken:
                raise ItemsTaken("the customer took the notes before the retract",
                                 result=self._report_take(Operation.RETRACT, ()))
            if self._position != OutputPosition.PRESENTED or not self._presented:
                raise NoItems(f"nothing presented to retract (position {self._position})")
            result = self._retract(Operation.RETRACT, ())
            if result.taken:
                raise ItemsTaken("the customer took the notes as the shutter closed",
                                 result=result)
            return result

    def reject(self) -> OperationResult:
        """Send the stacked notes to the reject bin (CashDispenser.Reject)."""
        with self._lock:
            self._sync_position(self._ready())
            if self._position != OutputPosition.STACKED:
                raise NoItems(f"nothing stacked to reject (position {self._position})")
            before = self._units = self._read_storage()
            reply = self._act("CashDispenser.Reject", None, lost_ok=True)
            after = self._units = self._read_storage()
            moved = {c: m for c, m in self._moved(before, after).items() if m.rejected}
            if not moved and reply is not None and not reply.ok:
                raise self._error(reply, "the reject failed")
            self._position = OutputPosition.IDLE
            return OperationResult(Operation.REJECT, moved, self._position)

    def reset(self) -> OperationResult:
        """Recover the device (CashManagement.Reset): the transport is cleared to the reject
        bin; `.recovered` is the partial result of a dispense a power loss cut."""
        with self._lock:
            self._check_open()
            before = self._units = self._read_storage()
            reply = self._act("CashManagement.Reset", None, lost_ok=True)
            after = self._units = self._read_storage()
            if reply is not None and not reply.ok:
                raise self._error(reply, "the reset failed")
            moved = {c: m for c, m in self._moved(before, after).items() if m.rejected}
            events = tuple(DeviceEvent(EventKind.TRANSPORT_CLEARED, c, m.rejected)
                           for c, m in sorted(moved.items()))
            recovered, self._interrupted = self._interrupted, None
            self._sync_position()
            return OperationResult(Operation.RESET, moved, self._position, events=events,
                                   recovered=recovered)

    def close(self) -> None:
        """Close the connection; the device keeps its state."""
        with self._lock:
            self._closed = True
            self._conn.close()

    # -- the wire ---------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self._conn.open()
        except LinkDown as error:
            raise DeviceUnreachable(str(error), url=self.options.publisher) from error

    def _reconnect(self) -> None:
        last: LinkDown | None = None
        for delay in RECONNECT_DELAYS:
            time.sleep(delay)
            try:
                self._conn.open()
                return
            except LinkDown as error:
                last = error
        raise DeviceUnreachable(f"the device does not answer: {last}",
                                url=self.options.publisher)

    def _query(self, name: str, payload: Mapping[str, Any] | None = None) -> Reply:
        """Send a command that changes nothing; resend it once after a reconnect."""
        for attempt in (1, 2):
            try:
                reply = self._send(name, payload)
            except LinkDown:
                if attempt == 2:
                    raise DeviceUnreachable(f"the device dropped {name} twice") from None
                self._reconnect()
                continue
            if not reply.ok:
                raise self._error(reply, f"{name} failed")
            return reply
        raise AssertionError("unreachable")

    def _act(self, name: str, payload: Mapping[str, Any] | None, *,
             lost_ok: bool = False) -> Reply | None:
        """Send a command that moves notes or changes the device, never twice: after a drop,
        reconnect and return None (the caller reads the counters to see what happened)."""
        try:
            return self._send(name, payload)
        except LinkDown:
            self._reconnect()
            if lost_ok:
                return None
            raise DeviceUnreachable(f"the connection dropped during {name}") from None

    def _send(self, name: str, payload: Mapping[str, Any] | None) -> Reply:
        if not self._conn.is_open:
            self._reconnect()
        try:
            return self._conn.command(name, payload, timeout=self.options.timeout)
        except CommandRefused as error:
            cls = CommandTimeout if error.status == "timeOut" else XFS_ERRORS.get(
                error.status, HardwareError)
            raise cls(str(error), status=error.status) from None

    def _receive(self, timeout: float) -> None:
        try:
            self._conn.receive(timeout)
        except LinkDown:
            self._reconnect()
            self._reconcile_take()

    def _conn_drain(self) -> None:
        try:
            self._conn.drain()
        except LinkDown:
            self._reconnect()
            self._reconcile_take()

    def _unsolicited(self, message: Message) -> None:
        if message.name != "CashManagement.ItemsTakenEvent":
            return
        if self._presenting:
            self._taken = True
        elif self._presented and self._position == OutputPosition.PRESENTED:
            self._taken = True
            self._position = OutputPosition.TAKEN

    def _read_storage(self) -> dict[str, Unit]:
        reply = self._query("Storage.GetStorage")
        return parse_storage(reply.completion.payload.get("storage"), self._exponents)

    # -- state ------------------------------------------------------------------------------

    def _report(self, common: Mapping[str, Any]) -> DeviceStatus:
        self._sync_position(common)
        units = self._units
        cassettes = []
        for cassette_id, unit in self._cassette_units().items():
            state = unit.cassette(cassette_id)
            declared = self._declared.get(cassette_id)
            if declared and declared != CassetteStatus.OK and state.status == CassetteStatus.OK:
                state = replace(state, status=declared, locked=False)
            cassettes.append(state)
        if self._position == OutputPosition.STACKED:
            stack = self._out_counter(units, "stacked")
        elif self._position == OutputPosition.PRESENTED:
            stack = dict(self._presented)
        else:
            stack = {}
        transport = {c: u.transport for c, u in self._cassette_units().items() if u.transport}
        return DeviceStatus(
            device=self._device_state(common), position=self._position,
            shutter=_shutter(common), cassettes=tuple(cassettes),
            reject_bin=bin_state(BinKind.REJECT, units.values()),
            retract_bin=bin_state(BinKind.RETRACT, units.values()),
            max_dispense_items=self._service.max_dispense_items, stack=stack,
            transport=transport, interrupted=self._interrupted)

    def _sync_position(self, common: Mapping[str, Any] | None = None) -> None:
        """Bring the tracked output position in line with what the device reports."""
        if common is None:
            common = self._query("Common.Status").completion.payload
        dispenser = common.get("cashDispenser") or {}
        stacker = dispenser.get("intermediateStacker")
        positions = dispenser.get("positions") or [{}]
        at_position = (positions[0] or {}).get("positionStatus")
        if stacker == "notEmpty":
            self._position = OutputPosition.STACKED
        elif at_position == "notEmpty":
            if self._position not in (OutputPosition.PRESENTED, OutputPosition.TAKEN):
                self._adopt_presented()
            if not self._taken:
                self._position = OutputPosition.PRESENTED
        elif self._position == OutputPosition.STACKED:
            self._position = OutputPosition.IDLE
        elif self._position == OutputPosition.PRESENTED:
            self._reconcile_take()

    def _adopt_position(self) -> None:
        """On opening: a stack the device still shows is ours to finish (a restarted caller)."""
        self._sync_position()

    def _adopt_presented(self) -> None:
        try:
            reply = self._query("CashDispenser.GetPresentStatus", {"position": "outDefault"})
        except DispenserError:
            # A device without it: the notes there are not known per cassette.
            self._presented = {}
            return
        values = ((reply.completion.payload.get("denomination") or {}).get("values") or {})
        by_unit = {unit.name: cassette_id for cassette_id, unit in self._cassette_units().items()}
        self._presented = {by_unit[name]: n for name, n in values.items()
                           if name in by_unit and isinstance(n, int) and n > 0}

    def _reconcile_take(self) -> None:
        """After a drop while notes were presented: the counters say whether they came back
        (a retract shows in the retract bin); otherwise the customer took them."""
        if self._position != OutputPosition.PRESENTED or not self._presented:
            return
        common = self._query("Common.Status").completion.payload
        positions = (common.get("cashDispenser") or {}).get("positions") or [{}]
        if (positions[0] or {}).get("positionStatus") == "notEmpty":
            return
        before = bin_state(BinKind.RETRACT, self._units.values())
        self._units = self._read_storage()
        after = bin_state(BinKind.RETRACT, self._units.values())
        if after.operations > before.operations:
            self._position, self._presented = OutputPosition.RETRACTED, {}
        else:
            self._taken, self._position = True, OutputPosition.TAKEN

    def _device_state(self, common: Mapping[str, Any] | None = None) -> DeviceState:
        if common is None:
            common = self._query("Common.Status").completion.payload
        device = (common.get("common") or {}).get("device")
        return _DEVICE_STATES.get(device, DeviceState.HARDWARE_ERROR)

    def _report_take(self, operation: Operation, events: tuple) -> OperationResult:
        """Report the customer's take once; the presented stack is then forgotten."""
        movements = {c: self._movement(c, taken=n) for c, n in sorted(self._presented.items())}
        notes = sum(self._presented.values())
        self._presented, self._taken = {}, False
        self._position = OutputPosition.TAKEN
        return OperationResult(operation, movements, OutputPosition.TAKEN,
                               events=events + (DeviceEvent(EventKind.ITEMS_TAKEN, notes=notes),))

    def _retract(self, operation: Operation, events: tuple) -> OperationResult:
        before = self._units
        reply = self._act("CashManagement.Retract",
                          self._dialect.retract_payload(self._service.retract_area),
                          lost_ok=True)
        self._conn_drain()
        self._units = self._read_storage()
        retracted = bin_state(BinKind.RETRACT, self._units.values()).operations > \
            bin_state(BinKind.RETRACT, before.values()).operations
        if self._taken or (reply is not None and reply.completion.error_code == "itemsTaken") \
                or (reply is None and not retracted):
            return self._report_take(operation, events)
        if reply is not None and not reply.ok:
            raise self._error(reply, "the retract failed")
        movements = {c: self._movement(c, retracted=n) for c, n in sorted(self._presented.items())}
        self._presented, self._position = {}, OutputPosition.RETRACTED
        return OperationResult(operation, movements, self._position, events=events)

    # -- checks -----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceNotReady("the driver is closed")

    def _ready(self) -> Mapping[str, Any]:
        """Raise DeviceNotReady unless the device is online; return its Common.Status."""
        self._check_open()
        common = self._query("Common.Status").completion.payload
        state = self._device_state(common)
        if state != DeviceState.ONLINE:
            raise DeviceNotReady(f"the device is {state}; reset() first")
        return common

    def _check_idle(self, common: Mapping[str, Any]) -> None:
        self._conn_drain()
        self._sync_position(common)
        if self._taken:
            raise SequenceError("the customer took the last stack; collect it with "
                                "wait_for_take() first")
        if not self._position.empty:
            raise ItemsLeft(f"notes are {self._position} at the output position")

    def _check_plan(self, counts: Mapping[str, int], amount: int | None) -> dict[str, int]:
        """The checks a device makes before it moves a note, in XFS4IoT's order."""
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
        units = self._cassette_units()
        unknown = sorted(set(wanted) - set(units))
        if unknown:
            raise NotDispensableByDevice(f"the device has no cassette {', '.join(unknown)}",
                                         cassette=unknown[0])
        if any(units[c].denomination is None for c in wanted):
            raise InvalidDenomination("a cassette's currency is not in the catalogue")
        value = sum(units[c].denomination * n for c, n in wanted.items())
        if amount is not None and value != amount:
            raise InvalidDenomination(f"the notes make {value}, not the amount {amount} "
                                      "(minor units)")
        total = sum(wanted.values())
        if total > self._service.max_dispense_items:
            raise TooManyItems(f"{total} notes is over the device's limit of "
                               f"{self._service.max_dispense_items}",
                               limit=self._service.max_dispense_items)
        for cassette_id, notes in wanted.items():
            state = self._report_cassette(cassette_id)
            if state.status != CassetteStatus.OK or state.locked:
                why = "locked" if state.status == CassetteStatus.OK else state.status
                raise CashUnitError(f"cassette {cassette_id} is {why}", cassette=cassette_id)
            if state.count < notes:
                raise NotDispensableByDevice(
                    f"cassette {cassette_id} holds {state.count} notes, not {notes}",
                    cassette=cassette_id)
        return {c: wanted[c] for c in units if c in wanted}

    def _report_cassette(self, cassette_id: str):
        state = self._unit_of(cassette_id).cassette(cassette_id)
        declared = self._declared.get(cassette_id)
        if declared and declared != CassetteStatus.OK and state.status == CassetteStatus.OK:
            state = replace(state, status=declared, locked=False)
        return state

    def _load_problems(self, cassettes: list[Any]) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        seen: set[str] = set()
        for cassette in cassettes:
            found = problems.setdefault(str(getattr(cassette, "id", "?")), [])
            if not isinstance(cassette, Cassette):
                found.append("must be a denomination.Cassette")
                continue
            if cassette.id in seen:
                found.append("loaded twice")
            seen.add(cassette.id)
            unit = self._cassette_units().get(cassette.id)
            if not isinstance(cassette.denomination, int) or cassette.denomination <= 0:
                found.append("denomination must be a positive number of minor units")
            elif unit is not None and (unit.currency, unit.denomination) != (
                    cassette.currency, cassette.denomination):
                found.append(f"the device's unit {unit.name} holds {unit.currency} "
                             f"{unit.denomination} notes (minor units); change the note type "
                             "at the device")
            if cassette.currency not in self._exponents:
                found.append(f"currency {cassette.currency} is not in the catalogue")
            if not isinstance(cassette.count, int) or cassette.count < 0:
                found.append("count must be a whole number >= 0")
            elif unit is not None and unit.capacity and cassette.count > unit.capacity:
                found.append(f"count {cassette.count} is over the capacity {unit.capacity}")
            elif cassette.capacity is not None and cassette.count > cassette.capacity:
                found.append(f"count {cassette.count} is over the capacity {cassette.capacity}")
            if unit is None:
                found.append("the device has no storage unit for this cassette")
            elif unit.transport:
                found.append("notes are jammed in the transport from this cassette")
        return {cid: found for cid, found in problems.items() if found}

    def _check_configuration(self, cassettes: list[Cassette]) -> None:
        units = self._cassette_units(include_unmapped=False)
        problems: dict[str, list[str]] = {}
        for cassette in cassettes:
            unit = units.get(cassette.id)
            if unit is None:
                wanted = self._explicit_units.get(cassette.id, f"with id {cassette.id!r}")
                problems[cassette.id] = [f"the device has no dispensing unit {wanted}"]
            elif unit.currency != cassette.currency or unit.denomination != cassette.denomination:
                problems[cassette.id] = [
                    f"the terminal file says {cassette.currency} {cassette.denomination}, "
                    f"the device's {unit.name} holds {unit.currency} {unit.denomination} "
                    "(minor units)"]
        if problems:
            self.close()
            raise ConfigurationMismatch(
                "the device's storage units do not match the terminal file: " + "; ".join(
                    f"{cid}: {' '.join(found)}" for cid, found in sorted(problems.items())),
                errors=problems)

    def _cassette_units(self, *, include_unmapped: bool = True) -> dict[str, Unit]:
        """Return cassette id -> dispensing unit: explicit `units` first, then by unit id."""
        dispensing = {name: unit for name, unit in self._units.items() if unit.kind == "cashOut"}
        mapped: dict[str, Unit] = {}
        claimed = set()
        for cassette_id, name in self._explicit_units.items():
            unit = dispensing.get(name) or next(
                (u for u in dispensing.values() if u.id == name), None)
            if unit is not None:
                mapped[cassette_id] = unit
                claimed.add(unit.name)
        for unit in dispensing.values():
            if unit.name not in claimed and unit.id not in mapped and (
                    include_unmapped or unit.id not in self._explicit_units):
                mapped[unit.id] = unit
        return mapped

    def _unit_of(self, cassette_id: str) -> Unit:
        unit = self._cassette_units().get(cassette_id)
        if unit is None:
            raise NotDispensableByDevice(f"the device has no cassette {cassette_id}",
                                         cassette=cassette_id)
        return unit

    # -- results ----------------------------------------------------------------------------

    def _moved(self, before: Mapping[str, Unit], after: Mapping[str, Unit], *,
               requested: Mapping[str, int] | None = None) -> dict[str, NoteMovement]:
        """Return cassette id -> movement from two storage reads (the device's counters)."""
        requested = requested or {}
        by_name = {unit.name: cid for cid, unit in self._cassette_units().items()}
        movements = {}
        for name, cassette_id in by_name.items():
            old, new = before.get(name), after.get(name)
            if old is None or new is None:
                continue
            stacked = new.counters.stacked - old.counters.stacked
            presented = new.counters.presented - old.counters.presented
            rejected = new.counters.rejected - old.counters.rejected
            unknown = new.counters.unknown - old.counters.unknown
            picked = max(stacked, 0) + max(rejected, 0) + max(unknown, 0) + max(presented, 0)
            if requested:
                picked = max(stacked + presented, 0) + max(rejected, 0) + max(unknown, 0)
                movement = self._movement(cassette_id, requested=requested.get(cassette_id, 0),
                                          picked=picked, rejected=max(rejected, 0),
                                          unknown=max(unknown, 0),
                                          stacked=max(stacked + presented, 0))
            else:
                movement = self._movement(cassette_id, presented=max(presented, 0),
                                          rejected=max(rejected, 0))
            if requested.get(cassette_id) or movement.picked or movement.presented \
                    or movement.rejected:
                movements[cassette_id] = movement
        return movements

    def _out_counter(self, units: Mapping[str, Unit], counter: str) -> dict[str, int]:
        return {cid: getattr(unit.counters, counter) for cid, unit in
                self._cassette_units().items()
                if unit.name in units and getattr(units[unit.name].counters, counter)}

    def _movement(self, cassette_id: str, **counts: int) -> NoteMovement:
        unit = self._unit_of(cassette_id)
        return NoteMovement(cassette_id, unit.currency or "", unit.denomination or 0, **counts)

    def _events(self, reply: Reply | None) -> tuple[DeviceEvent, ...]:
        if reply is None:
            return ()
        by_name = {unit.name: cid for cid, unit in self._cassette_units().items()}
        events = []
        for event in reply.events:
            if event.name == "CashManagement.NoteErrorEvent":
                kind = _NOTE_ERRORS.get(event.payload.get("reason"), EventKind.PICK_FAILURE)
                events.append(DeviceEvent(kind, notes=2 if kind == EventKind.DOUBLE_PICK else 1))
            elif event.name == "Storage.StorageErrorEvent":
                kind = _STORAGE_FAILURES.get(event.payload.get("failure"))
                unit = next(iter((event.payload.get("unit") or {}).keys()), None)
                if kind:
                    events.append(DeviceEvent(kind, by_name.get(unit)))
        return tuple(events)

    def _error(self, reply: Reply, what: str, *, result: OperationResult | None = None
               ) -> DispenserError:
        completion = reply.completion
        code = completion.error_code if completion.completion_code == "commandErrorCode" \
            else completion.completion_code
        cls = XFS_ERRORS.get(code or "", HardwareError)
        if code == "unsupportedCommand":
            cls = UnsupportedCommand
        by_name = {unit.name: cid for cid, unit in self._cassette_units().items()}
        cassette = None
        for event in reply.events_named("Storage.StorageErrorEvent"):
            unit = next(iter((event.payload.get("unit") or {}).keys()), None)
            cassette = by_name.get(unit, cassette)
        detail = completion.error_description or code or "no reason given"
        return cls(f"{what}: {detail}", result=result, cassette=cassette, xfs_code=code)

    def __repr__(self) -> str:
        return f"XFS4IoTDispenser({self.options!r})"


def _shutter(common: Mapping[str, Any]) -> ShutterState:
    positions = (common.get("cashDispenser") or {}).get("positions") or [{}]
    shutter = str((positions[0] or {}).get("shutter") or "closed")
    if shutter.startswith("jammed"):
        return ShutterState.JAMMED
    return ShutterState.OPEN if shutter == "open" else ShutterState.CLOSED

