"""Clocks: the one place that reads the wall clock or sleeps, and a manual clock for tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

#: Where a ManualClock starts unless told otherwise: a fixed, timezone-aware instant.
MANUAL_EPOCH = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """What the service and the simulator need of time: the current instant and a pause."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass (a ManualClock just moves forward)."""
        ...


class SystemClock:
    """The real clock: UTC wall time and `time.sleep`."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """Block for `seconds` (nothing when zero or negative)."""
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when someone sleeps on it or calls `advance`: instant in tests."""

    def __init__(self, start: datetime = MANUAL_EPOCH):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        """Return the clock's current instant."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Move the clock forward by `seconds` at once (nothing when zero or negative)."""
        if seconds > 0:
            self._now += timedelta(seconds=seconds)

    def advance(self, by: float | timedelta) -> datetime:
        """Move the clock forward by seconds or a timedelta; return the new instant."""
        step = by if isinstance(by, timedelta) else timedelta(seconds=by)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
