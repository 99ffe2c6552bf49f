"""What a dispenser reports about itself: device, output position, cassettes and bins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from denomination.cassettes import Cassette, CassetteStatus, FillLevel

if TYPE_CHECKING:
    from kiosk_service.hardware.results import OperationResult

__all__ = ["BinKind", "BinState", "CassetteState", "CassetteStatus", "DeviceState", "DeviceStatus",
           "FillLevel", "OutputPosition", "ShutterState", "UnitCounters"]


class DeviceState(StrEnum):
    """The device as a whole (XFS4IoT `common.device`, the values a dispenser uses)."""

    ONLINE = "online"                  # ready for commands
    HARDWARE_ERROR = "hardware_error"  # jammed: only status() and reset() work until reset
    POWER_OFF = "power_off"            # lost power mid-operation: reset() brings it back


class OutputPosition(StrEnum):
    """The output position's state machine: idle -> stacked -> presented -> taken | retracted.

    `reject()` sends a stacked bundle to the reject bin and returns to idle. A new dispense is
    allowed only when the position is empty: idle, taken or retracted.
    """

    IDLE = "idle"
    STACKED = "stacked"        # notes in the intermediate stacker, shutter closed
    PRESENTED = "presented"    # shutter open, notes within the customer's reach
    TAKEN = "taken"            # the customer took the notes
    RETRACTED = "retracted"    # the notes went back in, to the retract bin

    @property
    def empty(self) -> bool:
        """True when nothing waits in the stacker or at the position."""
        return self in (OutputPosition.IDLE, OutputPosition.TAKEN, OutputPosition.RETRACTED)


class ShutterState(StrEnum):
    """The output shutter (XFS4IoT `shutter`)."""

    CLOSED = "closed"
    OPEN = "open"
    JAMMED = "jammed"          # failed to open: present() raises shutter_not_open until reset()


class BinKind(StrEnum):
    """Which kind of bin: rejected notes during dispense, or stacks taken back from customers."""

    REJECT = "reject"
    RETRACT = "retract"


@dataclass(frozen=True, slots=True)
class UnitCounters:
    """XFS4IoT counters of one dispensing cassette since it was loaded, in notes.

    `initial` is what staff declared; the out counters say where notes went: `stacked` (in the
    stacker now), `presented` (given to the output position, whether later taken or
    retracted), `rejected` (to the reject bin: double picks, bad notes, rejected stacks, cleared
    jams), `unknown` (stuck in the transport by a jam, until reset clears them to the reject bin).
    """

    initial: int = 0
    stacked: int = 0
    presented: int = 0
    rejected: int = 0
    unknown: int = 0

    @property
    def out(self) -> int:
        """Return every note that left the cassette."""
        return self.stacked + self.presented + self.rejected + self.unknown


@dataclass(frozen=True, slots=True)
class CassetteState:
    """One dispensing cassette as the device knows it.

    `count` is the notes the device believes are in the cassette: `initial - out - shortfall`.
    `shortfall` is the notes declared at load that the device found were not there (its empty
    sensor tripped early): a count mismatch for staff to investigate. `status` is the physical
    state (ok, inoperative after a jam, missing when removed); `locked` is the application's lock.
    """

    id: str
    currency: str
    denomination: int
    counters: UnitCounters
    count: int
    status: CassetteStatus = CassetteStatus.OK
    capacity: int | None = None
    low_threshold: int = 0
    locked: bool = False
    shortfall: int = 0

    @property
    def fill(self) -> FillLevel:
        """Return the fill level (empty, low, ok, high, full) from `count` and the thresholds."""
        return self.as_cassette().fill

    @property
    def dispensable(self) -> bool:
        """True when the device will pick from this cassette: status ok, not locked, not empty."""
        return self.as_cassette().dispensable

    def as_cassette(self) -> Cassette:
        """Return the optimiser's view of this cassette (a `denomination.Cassette`)."""
        return Cassette(self.id, self.currency, self.denomination, max(self.count, 0),
                        self.status, self.capacity, self.low_threshold, self.locked)


@dataclass(frozen=True, slots=True)
class BinState:
    """A reject or retract bin: `count` notes; `notes` maps (currency, denomination) -> notes.

    `operations` is, for the retract bin, how many stacks were retracted (retractOperations).
    """

    kind: BinKind
    count: int = 0
    notes: Mapping[tuple[str, int], int] = field(default_factory=dict)
    operations: int = 0

    def by_denomination(self, currency: str) -> dict[int, int]:
        """Return denomination (minor units) -> notes of one currency in the bin."""
        return {d: n for (c, d), n in sorted(self.notes.items()) if c == currency and n}


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """Everything a dispenser reports in one read.

    `stack` maps cassette id -> notes now in the stacker or at the output position (see
    `position`); `transport` maps cassette id -> notes jammed in the transport. `interrupted`
    is the partial result of an operation cut by a power loss, kept until `reset()` reports it.
    """

    device: DeviceState
    position: OutputPosition
    shutter: ShutterState
    cassettes: tuple[CassetteState, ...]
    reject_bin: BinState
    retract_bin: BinState
    max_dispense_items: int
    stack: Mapping[str, int] = field(default_factory=dict)
    transport: Mapping[str, int] = field(default_factory=dict)
    interrupted: OperationResult | None = None

    def cassette(self, cassette_id: str) -> CassetteState:
        """Return the cassette `cassette_id`; raises KeyError when the device has none."""
        for unit in self.cassettes:
            if unit.id == cassette_id:
                return unit
        raise KeyError(cassette_id)

    def for_planning(self) -> tuple[Cassette, ...]:
        """Return every cassette as `denomination.Cassette`, ready for `plan_mix`."""
        return tuple(unit.as_cassette() for unit in self.cassettes)
