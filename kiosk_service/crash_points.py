"""Crash points for the crash campaign (bench/chaos.py): the process kills itself at a named
point, as a power cut or `kill -9` would, so recovery can be tested where it matters.

Set with CRASH_AT (environment `CASHMIX_CRASH_AT`), a comma-separated list of `POINT:N`: die
the N-th time POINT is reached. Points:

    db.commit            inside a database commit: every statement sent, COMMIT not yet
    db.committed         right after a commit returned
    device.OP.before     before the driver's OP (dispense, present, wait_for_take, retract,
                         reject, reset, load) is sent to the device
    device.OP.after      after the device answered OP, before the service records anything
    device.OP.during     D seconds into OP while the device works (`device.OP.during:N:D`)

Unset (the default), nothing is wrapped or listened to and nothing can crash.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import sessionmaker

from denomination.cassettes import Cassette
from kiosk_service.hardware import DeviceStatus, Dispenser, OperationResult

DEVICE_OPERATIONS = ("dispense", "present", "wait_for_take", "retract", "reject", "reset",
                     "load")


class CrashPoints:
    """Counts passes through named points and kills the process at the chosen one."""

    def __init__(self, spec: str):
        self._at: dict[str, tuple[int, float]] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, rest = part.partition(":")
            count, _, delay = rest.partition(":")
            if not count.isdigit() or int(count) < 1:
                raise ValueError(f"bad crash point {part!r}: POINT:N with N >= 1")
            self._at[name] = (int(count), float(delay or 0))
        self._passes: Counter = Counter()
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CrashPoints | None:
        """Return the crash points CRASH_AT names, or None when it is unset."""
        spec = str(config.get("CRASH_AT") or "")
        return cls(spec) if spec else None

    def reached(self, name: str) -> float | None:
        """Count a pass through `name`; die now if it is the chosen pass, or return the delay
        after which a `during` point dies (None: not this time)."""
        if name not in self._at:
            return None
        with self._lock:
            self._passes[name] += 1
            count, delay = self._at[name]
            if self._passes[name] != count:
                return None
        if name.endswith(".during"):
            return delay
        die()
        return None

    def watch(self, engine: Engine, sessions: sessionmaker) -> None:
        """Listen to the engine's commits (db.commit) and the sessions' (db.committed)."""
        event.listen(engine, "commit", lambda _connection: self.reached("db.commit"))
        event.listen(sessions, "after_commit", lambda _session: self.reached("db.committed"))


def install(deps: Any, config: Mapping[str, Any]) -> None:
    """Arm the crash points CRASH_AT names on an app's dependencies (nothing when unset)."""
    points = CrashPoints.from_config(config)
    if points is None:
        return
    points.watch(deps.engine, deps.sessions)
    deps.devices.wrap = lambda driver: CrashingDispenser(driver, points)


def die() -> None:
    """Kill this process at once (SIGKILL: no cleanup, no flush, as a power cut)."""
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingDispenser(Dispenser):
    """A driver wrapped so that each operation passes the device.OP.* crash points."""

    def __init__(self, driver: Dispenser, points: CrashPoints):
        self.driver = driver
        self.points = points

    @classmethod
    def from_url(cls, url: str, **dependencies: Any) -> CrashingDispenser:
        # No URL names it: the registry opens the real driver, which this then wraps.
        raise TypeError("a CrashingDispenser wraps an opened driver: "
                        "CrashingDispenser(driver, points)")

    def status(self) -> DeviceStatus:
        return self.driver.status()

    def load(self, cassettes: Iterable[Cassette]) -> DeviceStatus:
        return self._call("load", list(cassettes))

    def dispense(self, counts: Mapping[str, int], *, amount: int | None = None) -> OperationResult:
        return self._call("dispense", counts, amount=amount)

    def present(self) -> OperationResult:
        return self._call("present")

    def wait_for_take(self, timeout: float, *, retract_on_timeout: bool = True) -> OperationResult:
        return self._call("wait_for_take", timeout, retract_on_timeout=retract_on_timeout)

    def retract(self) -> OperationResult:
        return self._call("retract")

    def reject(self) -> OperationResult:
        return self._call("reject")

    def reset(self) -> OperationResult:
        return self._call("reset")

    def close(self) -> None:
        self.driver.close()

    def _call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        point = f"device.{operation}"
        self.points.reached(f"{point}.before")
        delay = self.points.reached(f"{point}.during")
        if delay is not None:
            threading.Timer(delay, die).start()
        result = getattr(self.driver, operation)(*args, **kwargs)
        self.points.reached(f"{point}.after")
        return result
