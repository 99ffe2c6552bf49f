"""The terminals' dispensers: opened by URL on first use, one operation at a time per device."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk_service.hardware import Dispenser, open_dispenser
from kiosk_service.hardware.clock import Clock
from kiosk_service.records import Terminal


@dataclass
class Device:
    """A terminal's dispenser and the lock that keeps its operations one at a time.

    A dispenser is one machine: whoever drives it (dispense, load, recovery) holds `lock`,
    and takes it before any database lock, never after.
    """

    terminal_id: str
    driver: Dispenser
    lock: threading.RLock = field(default_factory=threading.RLock)


class DispenserPool:
    """Opens each terminal's dispenser once: the URL comes from `overrides`, then the terminal
    file, then `default_url`. A device that reports no cassettes gets the terminal's loaded."""

    def __init__(self, *, clock: Clock, default_url: str,
                 overrides: Mapping[str, str] | None = None,
                 opened: Mapping[str, Dispenser] | None = None):
        self.clock = clock
        self.default_url = default_url
        self.overrides = dict(overrides or {})
        self._devices = {tid: Device(tid, driver) for tid, driver in (opened or {}).items()}
        self._lock = threading.Lock()

    def url_for(self, terminal: Terminal) -> str:
        """Return the dispenser URL of `terminal`."""
        return self.overrides.get(terminal.id) or terminal.dispenser_url or self.default_url

    def get(self, terminal: Terminal) -> Device:
        """Return the terminal's device, opening it (and loading its cassettes) on first use.

        The driver checks its units against the terminal's cassettes when it opens. Raises
        DispenserError subclasses (`invalid_driver_url`, `configuration_mismatch`,
        `device_unreachable`, ...) when it cannot be opened.
        """
        with self._lock:
            device = self._devices.get(terminal.id)
            if device is None:
                extras = {"units": terminal.unit_names} if terminal.units else {}
                driver = open_dispenser(self.url_for(terminal), clock=self.clock,
                                        cassettes=terminal.cassettes, **extras)
                device = self._devices[terminal.id] = Device(terminal.id, driver)
        with device.lock:
            if not device.driver.status().cassettes:
                device.driver.load(terminal.cassettes)
        return device

    def close(self) -> None:
        """Close every opened device."""
        with self._lock:
            for device in self._devices.values():
                device.driver.close()
            self._devices.clear()
