"""Which storage unit is which cassette, and what moved between two reads of the counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from denomination.cassettes import CassetteStatus
from kiosk_service.hardware.errors import NotDispensableByDevice
from kiosk_service.hardware.results import NoteMovement
from kiosk_service.hardware.status import CassetteState
from kiosk_service.hardware.xfs4iot.storage import Unit


@dataclass(frozen=True, slots=True)
class CassetteMap:
    """The dispensing units of one storage read, by cassette id.

    A cassette is the unit `explicit` names for it (by unit name, or by unit id), else the
    unit whose `id` is the cassette's id. `declared` holds the status staff gave a cassette
    at load when the device keeps it out with appLockOut instead (inoperative, missing).
    """

    units: Mapping[str, Unit]
    explicit: Mapping[str, str] = field(default_factory=dict)
    declared: Mapping[str, CassetteStatus] = field(default_factory=dict)

    def by_cassette(self, *, include_unmapped: bool = True) -> dict[str, Unit]:
        """Return cassette id -> dispensing unit (without `include_unmapped`: only units a
        terminal file could mean, so an explicitly mapped cassette's id is not reused)."""
        dispensing = {name: unit for name, unit in self.units.items() if unit.kind == "cashOut"}
        mapped: dict[str, Unit] = {}
        claimed = set()
        for cassette_id, name in self.explicit.items():
            unit = dispensing.get(name) or next(
                (u for u in dispensing.values() if u.id == name), None)
            if unit is not None:
                mapped[cassette_id] = unit
                claimed.add(unit.name)
        for unit in dispensing.values():
            if unit.name not in claimed and unit.id not in mapped and (
                    include_unmapped or unit.id not in self.explicit):
                mapped[unit.id] = unit
        return mapped

    def unit_cassettes(self) -> dict[str, str]:
        """Return unit name -> cassette id."""
        return {unit.name: cassette_id for cassette_id, unit in self.by_cassette().items()}

    def unit_of(self, cassette_id: str) -> Unit:
        """Return the cassette's unit; raises NotDispensableByDevice when there is none."""
        unit = self.by_cassette().get(cassette_id)
        if unit is None:
            raise NotDispensableByDevice(f"the device has no cassette {cassette_id}",
                                         cassette=cassette_id)
        return unit

    def state_of(self, cassette_id: str) -> CassetteState:
        """Return the cassette as the driver interface reports it."""
        state = self.unit_of(cassette_id).cassette(cassette_id)
        declared = self.declared.get(cassette_id)
        if declared and declared != CassetteStatus.OK and state.status == CassetteStatus.OK:
            state = replace(state, status=declared, locked=False)
        return state

    def states(self) -> tuple[CassetteState, ...]:
        """Return every cassette as the driver interface reports it."""
        return tuple(self.state_of(cassette_id) for cassette_id in self.by_cassette())

    def counter(self, name: str) -> dict[str, int]:
        """Return cassette id -> one out counter (`stacked`, ...) where it is not zero."""
        return {cid: getattr(unit.counters, name) for cid, unit in self.by_cassette().items()
                if getattr(unit.counters, name)}

    def movement(self, cassette_id: str, **counts: int) -> NoteMovement:
        """Return a NoteMovement of the cassette's notes."""
        unit = self.unit_of(cassette_id)
        return NoteMovement(cassette_id, unit.currency or "", unit.denomination or 0, **counts)

    def moved_since(self, before: CassetteMap, *, requested: Mapping[str, int] | None = None
                    ) -> dict[str, NoteMovement]:
        """Return cassette id -> how its notes moved from `before` to this read.

        For a dispense (`requested` given) every note that left the unit is picked, and the
        ones presented straight away (no stacker) count as stacked too; otherwise the
        movement is what was presented or rejected.
        """
        requested = requested or {}
        movements = {}
        for cassette_id, new in self.by_cassette().items():
            old = before.units.get(new.name)
            if old is None:
                continue
            delta = {name: max(getattr(new.counters, name) - getattr(old.counters, name), 0)
                     for name in ("stacked", "presented", "rejected", "unknown")}
            if requested:
                stacked = delta["stacked"] + delta["presented"]
                movement = self.movement(
                    cassette_id, requested=requested.get(cassette_id, 0),
                    picked=stacked + delta["rejected"] + delta["unknown"],
                    rejected=delta["rejected"], unknown=delta["unknown"], stacked=stacked)
            else:
                movement = self.movement(cassette_id, presented=delta["presented"],
                                         rejected=delta["rejected"])
            if requested.get(cassette_id) or movement.picked or movement.presented \
                    or movement.rejected:
                movements[cassette_id] = movement
        return movements
