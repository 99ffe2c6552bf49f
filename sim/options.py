"""The simulator's URL: `sim://?seed=7&faults=...&state=...`, parsed strictly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kiosk_service.hardware.errors import DriverURLError
from kiosk_service.hardware.registry import file_path_option, url_options
from sim.faults import FaultPlan

#: The URL scheme, also the entry-point name in group cashmix.dispensers.
SCHEME = "sim"
#: How many notes one dispense may hold unless the URL says otherwise (XFS maxDispenseItems).
DEFAULT_MAX_NOTES = 40
#: Seconds a customer takes to pick up presented notes, before `pace` scaling.
DEFAULT_TAKE_AFTER = 2.0


@dataclass(frozen=True, slots=True)
class SimOptions:
    """Everything a `sim://` URL can say.

    - seed: seeds the generator of probability faults (default 0).
    - faults: see sim/faults.py (default none).
    - state: a JSON file the device state lives in; a new driver on the same file continues
      where the last one stopped (power-loss recovery). Default: in memory only.
    - max_notes: the per-dispense note limit (default 40).
    - pace: scales mechanical times and the customer's delay; 1 is about a real dispenser,
      0 takes no time at all. With a ManualClock time only moves on the clock (default 1).
    - take_after: seconds a customer needs to take presented notes (default 2).
    """

    seed: int = 0
    faults: FaultPlan = field(default_factory=FaultPlan)
    state: Path | None = None
    max_notes: int = DEFAULT_MAX_NOTES
    pace: float = 1.0
    take_after: float = DEFAULT_TAKE_AFTER

    @classmethod
    def from_url(cls, url: str) -> SimOptions:
        """Parse a `sim://` URL; raises DriverURLError (`invalid_driver_url`) naming every
        bad option and, for unknown ones, the allowed options."""
        if urlsplit(url).scheme != SCHEME:
            raise DriverURLError(f"{url!r} is not a {SCHEME}:// URL", url=url)
        return cls(**url_options(url, {
            "seed": _integer(0),
            "faults": FaultPlan.parse,
            "state": file_path_option("state"),
            "max_notes": _integer(1),
            "pace": _seconds,
            "take_after": _seconds,
        }))


def _integer(minimum: int):
    def convert(raw: str) -> int:
        if not raw.isdigit() or int(raw) < minimum:
            raise ValueError(f"{raw!r} must be a whole number >= {minimum}")
        return int(raw)
    return convert


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise ValueError(f"{raw!r} must be a finite number >= 0")
    return value
