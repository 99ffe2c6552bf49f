"""When the cash-in-transit crew comes: every N days, and/or after a cassette runs low."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from denomination import Cassette


@dataclass(frozen=True, slots=True)
class Replenishment:
    """A replenishment rule. A visit restores every cassette to the terminal's configured load.

    `every_days`: a scheduled visit that many days after the last visit (0: none). `on_low`: a
    cassette at or below its low threshold calls a visit that comes `lead_hours` later.
    """

    every_days: int = 7
    on_low: bool = True
    lead_hours: int = 24

    @classmethod
    def never(cls) -> Replenishment:
        """Return the rule of a run-out study: nobody comes."""
        return cls(every_days=0, on_low=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Replenishment:
        """Build from the [replenishment] table of traffic.toml (other keys are ignored)."""
        return cls(int(data.get("every_days", 7)), bool(data.get("on_low", True)),
                   int(data.get("lead_hours", 24)))

    def scheduled_after(self, last_visit: datetime) -> datetime | None:
        """Return when the next scheduled visit comes after one at `last_visit` (None: never)."""
        return last_visit + timedelta(days=self.every_days) if self.every_days > 0 else None

    def call_for(self, now: datetime, cassettes: Sequence[Cassette],
                 load: Mapping[str, int]) -> datetime | None:
        """Return when a visit called now arrives, or None when no cassette calls one.

        A cassette calls when at or below its low threshold, unless its configured load is
        itself that low (it would call forever).
        """
        if not self.on_low:
            return None
        for cassette in cassettes:
            if cassette.count <= cassette.low_threshold < load[cassette.id] or (
                    cassette.count == 0 < load[cassette.id]):
                return now + timedelta(hours=self.lead_hours)
        return None
