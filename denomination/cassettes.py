"""Cassettes: the note units of a dispenser, with XFS4IoT status and fill level."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CassetteStatus(StrEnum):
    """The unit's condition (XFS4IoT `status`); only `ok` units may dispense."""

    OK = "ok"
    INOPERATIVE = "inoperative"
    MISSING = "missing"
    MANIPULATED = "manipulated"


class FillLevel(StrEnum):
    """How full a unit is (XFS4IoT `replenishmentStatus`), from its thresholds."""

    FULL = "full"
    HIGH = "high"
    OK = "ok"
    LOW = "low"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Cassette:
    """One cassette: `denomination` and `count` in minor units and notes (200000 = a 2000 CZK note).

    `capacity` (notes it holds when full) and `low_threshold` feed the fill level and the
    inventory-health objective; `locked` means the application holds it back from dispensing.
    """

    id: str
    currency: str
    denomination: int
    count: int
    status: CassetteStatus = CassetteStatus.OK
    capacity: int | None = None
    low_threshold: int = 0
    locked: bool = False

    def with_count(self, count: int) -> Cassette:
        """Return this cassette holding `count` notes (dataclasses.replace, without its
        per-call look at the fields: quotes take the held notes out of every cassette)."""
        return Cassette(self.id, self.currency, self.denomination, count, self.status,
                        self.capacity, self.low_threshold, self.locked)

    @property
    def dispensable(self) -> bool:
        """True when the unit may give notes now: status ok, not locked, not empty."""
        return self.status == CassetteStatus.OK and not self.locked and self.count > 0

    @property
    def fill(self) -> FillLevel:
        """Fill level: empty at 0, low at or below the low threshold, full at capacity."""
        if self.count <= 0:
            return FillLevel.EMPTY
        if self.count <= self.low_threshold:
            return FillLevel.LOW
        if self.capacity and self.count >= self.capacity:
            return FillLevel.FULL
        if self.capacity and self.count * 4 >= self.capacity * 3:
            return FillLevel.HIGH
        return FillLevel.OK
