"""SimulatedDispenser: a cash dispenser in software, with the real limits and injected faults.

Open it by URL (see sim/options.py for the options and sim/faults.py for the fault syntax):

    device = open_dispenser("sim://?seed=7&faults=jam:B:3,no_take:2", clock=ManualClock(),
                            cassettes=[Cassette("A", "CZK", 50000, 100, capacity=2000), ...])

Extra dependencies of `from_url`: `clock` (default SystemClock), `cassettes` (loaded when the
device has none yet: a new state, or a state file with nothing loaded) and `true_counts`
(cassette id -> notes physically loaded, when they differ from the declared count).
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Self

from denomination.cassettes import Cassette
from kiosk_service.hardware.clock import Clock, SystemClock
from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import (
    CashUnitError,
    DeviceNotReady,
    DriverURLError,
    ItemsLeft,
    ItemsTaken,
    NoItems,
    PowerFailure,
    SequenceError,
    ShutterNotOpen,
)
from kiosk_service.hardware.results import (
    DeviceEvent,
    EventKind,
    NoteMovement,
    Operation,
    OperationResult,
)
from kiosk_service.hardware.status import (
    CassetteStatus,
    DeviceState,
    DeviceStatus,
    OutputPosition,
    ShutterState,
)
from sim import state
from sim.machine import Inventory, Machine, Unit
from sim.options import SimOptions
from sim.picking import pick_plan
from sim.refusals import check_load, check_plan, check_units

#: Seconds each mechanical step takes at pace 1, about what a real dispenser needs.
PRESENT_SECONDS = 1.5
RETRACT_SECONDS = 3.0
REJECT_SECONDS = 2.0
RESET_SECONDS = 5.0


def _serialized(method):
    """Run one operation at a time, as a device does (the service calls from many threads)."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run


class SimulatedDispenser(Dispenser):
    """The `sim://` driver. Implements Dispenser; see the module docstring for how to open it.

    Thread-safe: operations run one at a time; `wait_for_take` lets others in while it waits.
    """

    def __init__(self, options: SimOptions, *, clock: Clock,
                 cassettes: Iterable[Cassette] | None = None,
                 true_counts: Mapping[str, int] | None = None):
        self.options = options
        self._lock = threading.RLock()
        self._clock = clock
        self._rng = random.Random(options.seed)
        self._closed = False
        restored = state.load(options.state) if options.state else None
        if restored:
            self._machine, rng_state = restored
            self._rng.setstate(rng_state)
        else:
            self._machine = Machine()
        if cassettes is not None and not self._machine.units:
            self.load(cassettes, true_counts=true_counts)
        else:
            self._save()

    @classmethod
    def shared_across_processes(cls, url: str) -> bool:
        """False: the simulator lives in the process that opened it (a state file is read only
        when it opens), so two processes would each pay from their own copy."""
        return False

    @classmethod
    def from_url(cls, url: str, *, clock: Clock | None = None,
                 cassettes: Iterable[Cassette] | None = None,
                 true_counts: Mapping[str, int] | None = None,
                 units: Mapping[str, str] | None = None) -> Self:
        """Open a simulator from a `sim://` URL; raises DriverURLError (`invalid_driver_url`).

        The simulator's units are its cassettes: `units` (cassette id -> device unit name,
        from a terminal file written for an XFS4IoT device) is refused.
        """
        options = SimOptions.from_url(url)
        if units:
            raise DriverURLError("the simulator's units are its cassettes; a terminal file's "
                                 "`unit` names are for xfs4iot:// devices", url=url,
                                 errors={"unit": sorted(units)})
        try:
            return cls(options, clock=clock or SystemClock(), cassettes=cassettes,
                       true_counts=true_counts)
        except state.StateFileError as error:
            raise DriverURLError(str(error), url=url, errors={"state": [str(error)]}) from error

    # -- reading ----------------------------------------------------------------------------

    @_serialized
    def status(self) -> DeviceStatus:
        """Return the device's report (see Dispenser.status)."""
        self._customer_acts()
        return self._machine.report(self.options.max_notes)

    @_serialized
    def inventory(self) -> Inventory:
        """Simulator only: the physical truth, every note loaded and where it is now."""
        self._customer_acts()
        return self._machine.inventory()

    # -- staff ------------------------------------------------------------------------------

    @_serialized
    def load(self, cassettes: Iterable[Cassette], *,
             true_counts: Mapping[str, int] | None = None) -> DeviceStatus:
        """Load cassettes (see Dispenser.load). `true_counts` (simulator only) sets how many
        notes are physically in a cassette when that differs from its declared count; the
        `short`/`extra` faults shift it further. A replaced cassette's notes go back to staff.
        """
        self._ready()
        machine = self._machine
        if not machine.position.empty:
            raise ItemsLeft("notes wait at the output position; reject or retract them first")
        self._check_take_reported()
        cassettes = list(cassettes)
        check_load(cassettes, machine, true_counts or {})
        for cassette in cassettes:
            old = machine.units.get(cassette.id)
            if old:
                machine.unloaded[old.note] += old.physical
            declared = (true_counts or {}).get(cassette.id, cassette.count)
            physical = max(0, declared + self.options.faults.count_delta(cassette.id))
            missing = self.options.faults.missing_at_load(cassette.id)
            unit = Unit(cassette.id, cassette.currency, cassette.denomination,
                        cassette.capacity, cassette.low_threshold,
                        CassetteStatus.MISSING if missing else CassetteStatus(cassette.status),
                        cassette.locked, initial=cassette.count, physical=physical,
                        picks=old.picks if old else 0)
            machine.units[cassette.id] = unit
            machine.loaded[unit.note] += physical
        self._save()
        return self.status()

    # -- the dispense cycle -----------------------------------------------------------------

    @_serialized
    def dispense(self, counts: Mapping[str, int], *, amount: int | None = None) -> OperationResult:
        """Pick notes into the stacker (see Dispenser.dispense for every error code)."""
        self._ready()
        self._customer_acts()
        machine = self._machine
        if not machine.position.empty:
            raise ItemsLeft(f"notes are {machine.position} at the output position")
        self._check_take_reported()
        requested = check_plan(self._machine, counts, amount, self.options.max_notes)
        machine.dispenses += 1
        for cassette_id in self.options.faults.removed_before(machine.dispenses):
            if cassette_id in machine.units:
                machine.units[cassette_id].status = CassetteStatus.MISSING
        self._save()
        check_units(self._machine, requested)
        machine.stack, machine.presented_stack, machine.take_at = {}, {}, None
        machine.position = OutputPosition.IDLE
        cut = self.options.faults.power_loss(machine.dispenses, sum(requested.values()),
                                             self._rng)
        outcome = pick_plan(machine, requested, self.options.faults, self._rng, cut,
                            self._wait)
        machine.position = OutputPosition.STACKED if machine.stack else OutputPosition.IDLE
        result = OperationResult(Operation.DISPENSE, outcome.movements, machine.position,
                                 outcome.failure is None, outcome.events)
        if outcome.failure == EventKind.POWER_LOST:
            machine.device, machine.interrupted = DeviceState.POWER_OFF, result
            self._save()
            raise PowerFailure("power lost mid-dispense; reset() reports what was done",
                               result=result)
        self._save()
        if outcome.failure == EventKind.JAM:
            raise CashUnitError(f"cassette {outcome.cassette} jammed; reset() needed",
                                result=result, cassette=outcome.cassette)
        if outcome.failure == EventKind.CASSETTE_EMPTY:
            raise CashUnitError(f"cassette {outcome.cassette} ran out before its count",
                                result=result, cassette=outcome.cassette)
        return result

    @_serialized
    def present(self) -> OperationResult:
        """Open the shutter over the stack (see Dispenser.present)."""
        self._ready()
        machine = self._machine
        if machine.position != OutputPosition.STACKED:
            raise NoItems(f"nothing stacked to present (position {machine.position})")
        if machine.shutter == ShutterState.JAMMED:
            raise ShutterNotOpen("the shutter is jammed; reset() first")
        machine.presents += 1
        if self.options.faults.shutter_fails(machine.presents, self._rng):
            machine.shutter = ShutterState.JAMMED
            result = OperationResult(Operation.PRESENT, {}, machine.position, False,
                                     (DeviceEvent(EventKind.SHUTTER_JAMMED),))
            self._save()
            raise ShutterNotOpen("the shutter did not open; the notes are still stacked",
                                 result=result)
        self._wait(PRESENT_SECONDS)
        movements = {}
        for unit, notes in self._stacked_units():
            unit.stacked -= notes
            unit.presented += notes
            movements[unit.id] = _movement(unit, presented=notes)
        machine.position, machine.shutter = OutputPosition.PRESENTED, ShutterState.OPEN
        machine.presented_stack = dict(machine.stack)
        walks_away = self.options.faults.walks_away(machine.presents, self._rng)
        machine.take_at = None if walks_away else self._clock.now() + timedelta(
            seconds=self.options.take_after * self.options.pace)
        self._save()
        return OperationResult(Operation.PRESENT, movements, machine.position,
                               events=(DeviceEvent(EventKind.ITEMS_PRESENTED,
                                                   notes=sum(machine.stack.values())),))

    def wait_for_take(self, timeout: float, *, retract_on_timeout: bool = True) -> OperationResult:
        """Wait for the customer (see Dispenser.wait_for_take). Other threads may read the
        status meanwhile: the device is not locked while the customer thinks."""
        machine = self._machine
        with self._lock:
            self._ready()
            self._customer_acts()
            if machine.position == OutputPosition.TAKEN and machine.presented_stack:
                return self._taken_result(Operation.WAIT_FOR_TAKE)
            if machine.position != OutputPosition.PRESENTED:
                raise NoItems(f"nothing presented to wait for (position {machine.position})")
            presentation, now, timeout = machine.presents, self._clock.now(), max(timeout, 0.0)
            taking = machine.take_at is not None and \
                machine.take_at <= now + timedelta(seconds=timeout)
            pause = (machine.take_at - now).total_seconds() if taking else timeout
        self._clock.sleep(pause)
        with self._lock:
            self._customer_acts()
            if machine.presents != presentation or not machine.presented_stack:
                raise NoItems("another caller collected this stack meanwhile")
            if machine.position == OutputPosition.TAKEN:
                return self._taken_result(Operation.WAIT_FOR_TAKE)
            timed_out = (DeviceEvent(EventKind.TAKE_TIMEOUT),)
            if not retract_on_timeout:
                return OperationResult(Operation.WAIT_FOR_TAKE, {}, machine.position,
                                       events=timed_out)
            self._ready()
            return self._retract_stack(Operation.WAIT_FOR_TAKE,
                                       timed_out + (DeviceEvent(EventKind.AUTO_RETRACT),))

    @_serialized
    def retract(self) -> OperationResult:
        """Take presented notes back into the retract bin (see Dispenser.retract)."""
        self._ready()
        self._customer_acts()
        if self._machine.position == OutputPosition.TAKEN and self._machine.presented_stack:
            raise ItemsTaken("the customer took the notes before the retract",
                             result=self._taken_result(Operation.RETRACT))
        if self._machine.position != OutputPosition.PRESENTED:
            raise NoItems(f"nothing presented to retract (position {self._machine.position})")
        result = self._retract_stack(Operation.RETRACT, ())
        if result.taken:
            raise ItemsTaken("the customer took the notes as the shutter closed", result=result)
        return result

    @_serialized
    def reject(self) -> OperationResult:
        """Send the stacked notes to the reject bin (see Dispenser.reject)."""
        self._ready()
        machine = self._machine
        if machine.position != OutputPosition.STACKED:
            raise NoItems(f"nothing stacked to reject (position {machine.position})")
        self._wait(REJECT_SECONDS)
        movements = {}
        for unit, notes in self._stacked_units():
            unit.stacked -= notes
            unit.rejected += notes
            machine.reject_bin[unit.note] += notes
            movements[unit.id] = _movement(unit, rejected=notes)
        machine.stack, machine.position = {}, OutputPosition.IDLE
        self._save()
        return OperationResult(Operation.REJECT, movements, machine.position)

    @_serialized
    def reset(self) -> OperationResult:
        """Recover from an error (see Dispenser.reset)."""
        self._check_open()
        machine = self._machine
        self._wait(RESET_SECONDS)
        movements, events = {}, []
        for cassette_id, notes in sorted(machine.transport.items()):
            unit = machine.units[cassette_id]
            unit.unknown -= notes
            unit.rejected += notes
            machine.reject_bin[unit.note] += notes
            movements[cassette_id] = _movement(unit, rejected=notes)
            events.append(DeviceEvent(EventKind.TRANSPORT_CLEARED, cassette_id, notes))
        machine.transport = {}
        if machine.shutter == ShutterState.JAMMED:
            machine.shutter = ShutterState.CLOSED
        recovered, machine.interrupted = machine.interrupted, None
        machine.device = DeviceState.ONLINE
        self._save()
        return OperationResult(Operation.RESET, movements, machine.position,
                               events=tuple(events), recovered=recovered)

    @_serialized
    def close(self) -> None:
        """Save the state (when kept in a file) and stop accepting operations."""
        if not self._closed:
            self._save()
            self._closed = True

    # -- inside -----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceNotReady("the driver is closed")

    def _ready(self) -> None:
        self._check_open()
        if self._machine.device != DeviceState.ONLINE:
            raise DeviceNotReady(f"the device is {self._machine.device}; reset() first")

    def _wait(self, seconds: float) -> None:
        self._clock.sleep(seconds * self.options.pace)

    def _save(self) -> None:
        if self.options.state:
            state.save(self.options.state, self._machine, self._rng.getstate())

    def _stacked_units(self) -> list[tuple[Unit, int]]:
        return [(self._machine.units[c], n) for c, n in sorted(self._machine.stack.items()) if n]

    def _check_take_reported(self) -> None:
        self._customer_acts()
        if self._machine.position == OutputPosition.TAKEN and self._machine.presented_stack:
            raise SequenceError("the customer took the last stack; collect it with "
                                "wait_for_take() first")

    def _customer_acts(self) -> None:
        """The customer takes presented notes once their moment has come."""
        machine = self._machine
        if (machine.position == OutputPosition.PRESENTED and machine.take_at is not None
                and self._clock.now() >= machine.take_at):
            for unit, notes in self._stacked_units():
                machine.taken[unit.note] += notes
            machine.stack, machine.take_at = {}, None
            machine.position, machine.shutter = OutputPosition.TAKEN, ShutterState.CLOSED
            self._save()

    def _taken_result(self, operation: Operation) -> OperationResult:
        """Report the customer's take, once: the presented stack is then forgotten."""
        machine = self._machine
        movements = {c: _movement(machine.units[c], taken=n)
                     for c, n in sorted(machine.presented_stack.items())}
        notes, machine.presented_stack = sum(machine.presented_stack.values()), {}
        self._save()
        return OperationResult(operation, movements, OutputPosition.TAKEN,
                               events=(DeviceEvent(EventKind.ITEMS_TAKEN, notes=notes),))

    def _retract_stack(self, operation: Operation, events: tuple) -> OperationResult:
        """Close the shutter and retract; a customer due to take meanwhile takes first."""
        machine = self._machine
        took_at = machine.take_at
        if took_at is not None and took_at <= self._clock.now() + timedelta(
                seconds=RETRACT_SECONDS * self.options.pace):
            self._clock.sleep((took_at - self._clock.now()).total_seconds())
            self._customer_acts()
            taken = self._taken_result(operation)
            return OperationResult(operation, taken.notes, taken.position,
                                   events=events + taken.events)
        self._wait(RETRACT_SECONDS)
        movements = {}
        for unit, notes in self._stacked_units():
            machine.retract_bin[unit.note] += notes
            movements[unit.id] = _movement(unit, retracted=notes)
        machine.stack, machine.take_at, machine.presented_stack = {}, None, {}
        machine.retract_operations += 1
        machine.position, machine.shutter = OutputPosition.RETRACTED, ShutterState.CLOSED
        self._save()
        return OperationResult(operation, movements, machine.position, events=events)

    def __repr__(self) -> str:
        return f"SimulatedDispenser({self.options!r})"


def _movement(unit: Unit, **counts: int) -> NoteMovement:
    return NoteMovement(unit.id, unit.currency, unit.denomination, **counts)
