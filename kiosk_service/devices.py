"""The terminals' dispensers: opened by URL on first use, one cycle at a time per device across
every process, idle ones closed, at most `max_open` held, the failing ones remembered."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kiosk_service.errors import TerminalBusy
from kiosk_service.hardware import Dispenser, DispenserError, open_dispenser
from kiosk_service.hardware.clock import Clock
from kiosk_service.records import Terminal
from kiosk_service.terminal_locks import HeldLock, ProcessLocks, TerminalLocks

log = logging.getLogger("cashmix.devices")

#: Seconds a cycle waits for its terminal (this process's threads, then other processes).
DEFAULT_LOCK_TIMEOUT = 10.0
#: Seconds a device may stay unused before its connection is closed.
DEFAULT_IDLE_SECONDS = 300.0
#: Devices one process keeps open at most; the least recently used idle ones close first.
DEFAULT_MAX_OPEN = 1000


@dataclass
class Device:
    """A terminal's dispenser and the locks that keep its operations one at a time.

    A dispenser is one machine. `lock` orders this process's threads (enough for a status
    read); `cycle()` also takes the terminal lock every process shares, and is what whoever
    moves notes or changes the load (dispense, retract, staff, recovery) holds, before any
    database lock, never after.
    """

    terminal_id: str
    driver: Dispenser
    locks: TerminalLocks = field(default_factory=ProcessLocks)
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    #: Given to the pool already opened (tests, simulations): never closed for idleness.
    injected: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    last_used: datetime | None = None
    #: The code of the last error this device raised, None after a success.
    last_error: str | None = None
    users: int = 0
    _depth: int = 0
    _held: HeldLock | None = None

    @contextlib.contextmanager
    def cycle(self) -> Iterator[Dispenser]:
        """Hold the device for a whole cycle and yield its driver; reentrant in one thread.

        Raises TerminalBusy (`terminal_busy`) when this process's other threads or another
        process keep it past `lock_timeout` seconds.
        """
        if not self.lock.acquire(timeout=self.lock_timeout):
            raise TerminalBusy(f"Terminal {self.terminal_id} is busy: another request drives "
                               "its dispenser. Try again shortly.", terminal=self.terminal_id,
                               waited_seconds=self.lock_timeout)
        try:
            if self._depth == 0:
                self._held = self.locks.acquire(self.terminal_id, timeout=self.lock_timeout)
            self._depth += 1
            try:
                yield self.driver
                self.last_error = None
            except DispenserError as error:
                self.last_error = error.code
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    held, self._held = self._held, None
                    held.release()
        finally:
            self.lock.release()

    def record(self, error: str | None) -> None:
        """Remember the outcome of an operation done outside `cycle()` (a status read)."""
        self.last_error = error


@dataclass(frozen=True, slots=True)
class DeviceFailure:
    """Why a terminal's dispenser could not be opened, and when."""

    code: str
    message: str
    at: datetime


@dataclass
class _Slot:
    opening: threading.Lock = field(default_factory=threading.Lock)
    device: Device | None = None


class DispenserPool:
    """Opens each terminal's dispenser on first use: the URL comes from `overrides`, then the
    terminal file, then `default_url`. A device that reports no cassettes gets the terminal's
    loaded. Devices unused for `idle_seconds` are closed, and beyond `max_open` the least
    recently used idle ones; a closed device opens again when next needed. Connections stay
    alive in between by the driver's own means (XFS4IoT: WebSocket pings, reconnection)."""

    def __init__(self, *, clock: Clock, default_url: str,
                 overrides: Mapping[str, str] | None = None,
                 opened: Mapping[str, Dispenser] | None = None,
                 locks: TerminalLocks | None = None,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 idle_seconds: float = DEFAULT_IDLE_SECONDS,
                 max_open: int = DEFAULT_MAX_OPEN):
        self.clock = clock
        self.default_url = default_url
        self.overrides = dict(overrides or {})
        self.locks = locks or ProcessLocks()
        self.lock_timeout, self.idle_seconds, self.max_open = lock_timeout, idle_seconds, max_open
        self._slots: OrderedDict[str, _Slot] = OrderedDict(
            (tid, _Slot(device=self._device(tid, driver, injected=True)))
            for tid, driver in (opened or {}).items())
        self._failures: dict[str, DeviceFailure] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock.now()
        #: Wraps each driver as it opens (the crash campaign's crash points), or None.
        self.wrap: Callable[[Dispenser], Dispenser] | None = None

    def url_for(self, terminal: Terminal) -> str:
        """Return the dispenser URL of `terminal`."""
        return self.overrides.get(terminal.id) or terminal.dispenser_url or self.default_url

    def get(self, terminal: Terminal) -> Device:
        """Return the terminal's device, opening it (and loading its cassettes) when it is
        not open.

        The driver checks its units against the terminal's cassettes when it opens. Raises
        DispenserError subclasses (`invalid_driver_url`, `configuration_mismatch`,
        `device_unreachable`, ...) when it cannot be opened, and TerminalBusy when its first
        load waits too long for another process.
        """
        with self._pinned(terminal) as device:
            return device

    @contextlib.contextmanager
    def cycle(self, terminal: Terminal) -> Iterator[Device]:
        """Open the terminal's device if needed and hold it for a whole cycle (Device.cycle);
        it is not closed for idleness meanwhile. Raises as `get` and Device.cycle."""
        with self._pinned(terminal) as device, device.cycle():
            yield device

    @contextlib.contextmanager
    def _pinned(self, terminal: Terminal) -> Iterator[Device]:
        with self._lock:
            slot = self._slots.get(terminal.id)
            if slot is None:
                slot = self._slots[terminal.id] = _Slot()
            self._slots.move_to_end(terminal.id)
        # Opening may take seconds (a device across the network): only this terminal waits.
        with slot.opening:
            opened = slot.device is None
            if opened:
                slot.device = self._open(terminal)
            device = slot.device
            device.users += 1
        try:
            device.last_used = self.clock.now()
            yield device
        finally:
            with slot.opening:
                device.users -= 1
                device.last_used = self.clock.now()
        if opened or device.last_used >= self._next_sweep:
            self.sweep()

    def _open(self, terminal: Terminal) -> Device:
        extras = {"units": terminal.unit_names} if terminal.units else {}
        try:
            driver = open_dispenser(self.url_for(terminal), clock=self.clock,
                                    cassettes=terminal.cassettes, **extras)
        except DispenserError as error:
            self._failures[terminal.id] = DeviceFailure(error.code, error.message,
                                                        self.clock.now())
            raise
        if self.wrap is not None:
            driver = self.wrap(driver)
        device = self._device(terminal.id, driver, injected=False)
        try:
            with device.lock:
                empty = not driver.status().cassettes
            if empty:
                with device.cycle():
                    if not driver.status().cassettes:
                        driver.load(terminal.cassettes)
        except DispenserError as error:
            self._failures[terminal.id] = DeviceFailure(error.code, error.message,
                                                        self.clock.now())
            driver.close()
            raise
        except BaseException:
            driver.close()
            raise
        self._failures.pop(terminal.id, None)
        log.info("dispenser opened", extra={"event": "device.opened", "terminal": terminal.id})
        return device

    def _device(self, terminal_id: str, driver: Dispenser, *, injected: bool) -> Device:
        return Device(terminal_id, driver, self.locks, self.lock_timeout, injected=injected)

    def sweep(self) -> list[str]:
        """Close devices idle for `idle_seconds`, then the least recently used idle ones
        beyond `max_open`; return the terminals closed."""
        now = self.clock.now()
        idle_since = now - timedelta(seconds=self.idle_seconds)
        # A sweep walks every slot: often enough to honour idle_seconds roughly, no more.
        self._next_sweep = now + timedelta(seconds=min(max(self.idle_seconds / 10, 0.1), 30))
        closing = []
        with self._lock:
            opened = [(tid, slot) for tid, slot in self._slots.items()
                      if slot.device is not None]
            excess = len(opened) - self.max_open
            for tid, slot in opened:        # least recently used first
                device = slot.device
                stale = device.last_used is not None and device.last_used <= idle_since
                if device.injected or not (stale or excess > 0):
                    continue
                if self._take_idle(slot):
                    closing.append((tid, device))
                    excess -= 1
        for tid, device in closing:
            with contextlib.suppress(Exception):    # a broken link fails to close politely
                device.driver.close()
            log.info("dispenser closed", extra={"event": "device.closed", "terminal": tid})
        return [tid for tid, _ in closing]

    def _take_idle(self, slot: _Slot) -> bool:
        """Detach the slot's device when nobody uses or waits for it (under self._lock)."""
        if not slot.opening.acquire(blocking=False):
            return False
        try:
            device = slot.device
            if device is None or device.users or not device.lock.acquire(blocking=False):
                return False
            try:
                slot.device = None
            finally:
                device.lock.release()
            return True
        finally:
            slot.opening.release()

    def report(self) -> dict[str, Any]:
        """Return {"open", "max_open", "degraded": {terminal: {"error", "message", "since"}}}:
        the devices that failed to open or whose last operation failed."""
        self.sweep()
        degraded: dict[str, Any] = {
            tid: {"error": f.code, "message": f.message, "since": f.at.isoformat()}
            for tid, f in self._failures.items()}
        with self._lock:
            devices = [slot.device for slot in self._slots.values() if slot.device is not None]
        for device in devices:
            if device.last_error is not None and device.terminal_id not in degraded:
                degraded[device.terminal_id] = {"error": device.last_error, "message": None,
                                                "since": None}
        return {"open": len(devices), "max_open": self.max_open,
                "degraded": dict(sorted(degraded.items()))}

    def close(self) -> None:
        """Close every opened device."""
        with self._lock:
            devices = [slot.device for slot in self._slots.values() if slot.device is not None]
            self._slots.clear()
        for device in devices:
            device.driver.close()
