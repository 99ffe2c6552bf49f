"""The simulated dispenser's physical state: cassettes, stacker, transport, bins, customers.

This is the simulator's mutable inside (a machine changes as it runs); what it reports goes
out as the frozen values of kiosk_service.hardware. Every note is in exactly one place:
a cassette, the transport (jammed), the stack (stacker or output position), the reject bin,
the retract bin, a customer's hand, or back with staff (taken out at a reload).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from kiosk_service.hardware.results import OperationResult
from kiosk_service.hardware.status import (
    BinKind,
    BinState,
    CassetteState,
    CassetteStatus,
    DeviceState,
    DeviceStatus,
    OutputPosition,
    ShutterState,
    UnitCounters,
)

#: A kind of note: (currency, denomination in minor units).
Note = tuple[str, int]


@dataclass
class Unit:
    """One cassette: its configuration, its XFS4IoT counters, and the truth inside it.

    `physical` is the notes really in the cassette, which can differ from what staff declared
    (`initial`). `picks` counts pick actions since the state was created (fault schedules).
    """

    id: str
    currency: str
    denomination: int
    capacity: int | None = None
    low_threshold: int = 0
    status: CassetteStatus = CassetteStatus.OK
    locked: bool = False
    initial: int = 0
    stacked: int = 0
    presented: int = 0
    rejected: int = 0
    unknown: int = 0
    shortfall: int = 0
    physical: int = 0
    picks: int = 0

    @property
    def note(self) -> Note:
        """Return the unit's kind of note."""
        return (self.currency, self.denomination)

    @property
    def count(self) -> int:
        """Return the notes the device believes are in the cassette."""
        return self.initial - self.stacked - self.presented - self.rejected - self.unknown \
            - self.shortfall

    def state(self) -> CassetteState:
        """Return the frozen report of this cassette."""
        counters = UnitCounters(self.initial, self.stacked, self.presented, self.rejected,
                                self.unknown)
        return CassetteState(self.id, self.currency, self.denomination, counters, self.count,
                             self.status, self.capacity, self.low_threshold, self.locked,
                             self.shortfall)


@dataclass
class Machine:
    """The whole device. `stack` and `transport` map cassette id -> notes; the bins, `taken`,
    `loaded` and `unloaded` map Note -> notes. `presented_stack` is the last presented stack
    until its take or retract has been reported (a take is reported exactly once)."""

    units: dict[str, Unit] = field(default_factory=dict)
    device: DeviceState = DeviceState.ONLINE
    position: OutputPosition = OutputPosition.IDLE
    shutter: ShutterState = ShutterState.CLOSED
    stack: dict[str, int] = field(default_factory=dict)
    transport: dict[str, int] = field(default_factory=dict)
    reject_bin: Counter = field(default_factory=Counter)
    retract_bin: Counter = field(default_factory=Counter)
    retract_operations: int = 0
    taken: Counter = field(default_factory=Counter)
    loaded: Counter = field(default_factory=Counter)
    unloaded: Counter = field(default_factory=Counter)
    take_at: datetime | None = None
    presented_stack: dict[str, int] = field(default_factory=dict)
    dispenses: int = 0
    presents: int = 0
    interrupted: OperationResult | None = None

    def report(self, max_notes: int) -> DeviceStatus:
        """Return the frozen DeviceStatus of the machine."""
        return DeviceStatus(
            device=self.device, position=self.position, shutter=self.shutter,
            cassettes=tuple(unit.state() for unit in self.units.values()),
            reject_bin=BinState(BinKind.REJECT, sum(self.reject_bin.values()),
                                _nonzero(self.reject_bin)),
            retract_bin=BinState(BinKind.RETRACT, sum(self.retract_bin.values()),
                                 _nonzero(self.retract_bin), self.retract_operations),
            max_dispense_items=max_notes, stack=_nonzero(self.stack),
            transport=_nonzero(self.transport), interrupted=self.interrupted)

    def inventory(self) -> Inventory:
        """Return the notes loaded and where every note physically is now."""
        return Inventory(_nonzero(self.loaded),
                         {place: _nonzero(counts) for place, counts in self.places().items()},
                         {unit.id: unit.physical for unit in self.units.values()})

    def places(self) -> dict[str, Counter]:
        """Return where every note physically is: place -> Note -> notes."""
        cassettes, stack, transport = Counter(), Counter(), Counter()
        for unit in self.units.values():
            cassettes[unit.note] += unit.physical
            stack[unit.note] += self.stack.get(unit.id, 0)
            transport[unit.note] += self.transport.get(unit.id, 0)
        return {"cassettes": cassettes, "transport": transport, "stack": stack,
                "reject_bin": Counter(self.reject_bin), "retract_bin": Counter(self.retract_bin),
                "taken": Counter(self.taken), "unloaded": Counter(self.unloaded)}


def _nonzero(counts) -> dict:
    return {key: n for key, n in sorted(counts.items()) if n}


@dataclass(frozen=True, slots=True)
class Inventory:
    """The physical truth, for conservation checks: notes loaded, where they are now, and the
    notes really in each cassette (by id)."""

    loaded: dict[Note, int]
    places: dict[str, dict[Note, int]]
    by_cassette: dict[str, int]

    def unaccounted(self) -> dict[Note, int]:
        """Return Note -> loaded minus found, for every kind of note that does not add up."""
        found: Counter = Counter()
        for counts in self.places.values():
            found.update(counts)
        notes = set(self.loaded) | set(found)
        return {note: self.loaded.get(note, 0) - found[note] for note in sorted(notes)
                if self.loaded.get(note, 0) != found[note]}
