"""The pick loop: notes leave the cassettes one pick at a time, faults included."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kiosk_service.hardware.results import DeviceEvent, EventKind, NoteMovement
from kiosk_service.hardware.status import CassetteStatus, DeviceState
from sim.faults import FaultKind, FaultPlan
from sim.machine import Machine, Unit

#: Seconds one pick takes at pace 1: a dispenser feeds about eight notes a second.
PICK_SECONDS = 0.12


@dataclass(frozen=True, slots=True)
class PickOutcome:
    """What a pick run did: movements per cassette, events, and why it stopped early if it did
    (JAM, CASSETTE_EMPTY or POWER_LOST, at `cassette`)."""

    movements: dict[str, NoteMovement]
    events: tuple[DeviceEvent, ...]
    failure: EventKind | None = None
    cassette: str | None = None


@dataclass
class _Tally:
    requested: int
    picked: int = 0
    rejected: int = 0
    unknown: int = 0
    stacked: int = 0


def pick_plan(machine: Machine, requested: Mapping[str, int], faults: FaultPlan,
              rng: random.Random, cut: int | None, wait: Callable[[float], None]) -> PickOutcome:
    """Pick `requested` (cassette id -> notes, in pick order) into the stacker.

    Double picks and failed picks go to the reject bin and the device picks again. It stops
    at a jam (the note stays in the transport, the cassette turns inoperative, the device needs
    a reset), when a cassette turns out empty (its missing notes become `shortfall`), or when
    the power is cut after `cut` stacked notes.
    """
    tallies = {cassette_id: _Tally(notes) for cassette_id, notes in requested.items()}
    events: list[DeviceEvent] = []

    def outcome(failure: EventKind | None = None, cassette: str | None = None) -> PickOutcome:
        movements = {c: NoteMovement(c, machine.units[c].currency, machine.units[c].denomination,
                                     t.requested, t.picked, t.rejected, t.unknown, t.stacked)
                     for c, t in tallies.items()}
        if failure:
            events.append(DeviceEvent(failure, cassette))
        return PickOutcome(movements, tuple(events), failure, cassette)

    stacked = 0
    for cassette_id, tally in tallies.items():
        unit = machine.units[cassette_id]
        while tally.stacked < tally.requested:
            if stacked == cut:
                return outcome(EventKind.POWER_LOST)
            if unit.physical == 0:
                unit.shortfall += unit.count
                return outcome(EventKind.CASSETTE_EMPTY, cassette_id)
            wait(PICK_SECONDS)
            if faults.jams(cassette_id, unit.picks):
                _take(unit, machine, 1, tally, "unknown")
                machine.transport[cassette_id] = machine.transport.get(cassette_id, 0) + 1
                unit.status, machine.device = CassetteStatus.INOPERATIVE, DeviceState.HARDWARE_ERROR
                unit.picks += 1
                return outcome(EventKind.JAM, cassette_id)
            unit.picks += 1
            fault = faults.pick_fault(cassette_id, unit.picks, rng)
            if fault == FaultKind.DOUBLE_PICK and unit.physical >= 2:
                _take(unit, machine, 2, tally, "rejected")
                events.append(DeviceEvent(EventKind.DOUBLE_PICK, cassette_id, 2))
            elif fault == FaultKind.PICK_FAIL:
                _take(unit, machine, 1, tally, "rejected")
                events.append(DeviceEvent(EventKind.PICK_FAILURE, cassette_id, 1))
            else:
                _take(unit, machine, 1, tally, "stacked")
                machine.stack[cassette_id] = machine.stack.get(cassette_id, 0) + 1
                stacked += 1
    if stacked == cut:
        return outcome(EventKind.POWER_LOST)
    return outcome()


def _take(unit: Unit, machine: Machine, notes: int, tally: _Tally, where: str) -> None:
    """Move `notes` out of the cassette to `where` (rejected, unknown or stacked)."""
    unit.physical -= notes
    tally.picked += notes
    setattr(tally, where, getattr(tally, where) + notes)
    setattr(unit, where, getattr(unit, where) + notes)
    if where == "rejected":
        machine.reject_bin[unit.note] += notes
    if unit.count < 0:
        unit.shortfall += unit.count   # more notes than declared: a negative shortfall
