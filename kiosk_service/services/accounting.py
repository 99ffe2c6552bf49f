"""Note accounting from the device's own counters: where every note of a dispense went.

A dispense records the device's counters before it starts; whatever happens next (success, a
jam, a crash of this process), the difference to the counters afterwards says which notes left
which cassette and where they are now. The same arithmetic serves normal runs and recovery.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from kiosk_service.hardware import DeviceStatus, OutputPosition
from kiosk_service.records import DispenseState, NoteOutcome

COUNTERS = ("initial", "stacked", "presented", "rejected", "unknown")


def snapshot(status: DeviceStatus) -> dict[str, Any]:
    """Return the JSON form of the counters a dispense is measured against."""
    return {
        "cassettes": {unit.id: {name: getattr(unit.counters, name) for name in COUNTERS}
                      for unit in status.cassettes},
        "retract_bin": {str(d): n for d, n in _by_denomination(status.retract_bin).items()},
    }


def outcome(before: Mapping[str, Any], status: DeviceStatus,
            planned: Mapping[str, int]) -> tuple[NoteOutcome, ...]:
    """Return, per cassette that was planned or moved, where its notes went since `before`."""
    earlier = before.get("retract_bin", {})
    retracted_left = Counter({d: n - int(earlier.get(str(d), 0))
                              for d, n in _by_denomination(status.retract_bin).items()})
    notes = []
    for unit in status.cassettes:
        was = before.get("cassettes", {}).get(unit.id)
        if was is None or was["initial"] != unit.counters.initial:
            continue            # loaded since: its counters started again, nothing to diff
        moved = {name: getattr(unit.counters, name) - was[name] for name in COUNTERS[1:]}
        picked = sum(moved.values())
        if not picked and unit.id not in planned:
            continue
        presented = moved["presented"]
        retracted = min(presented, max(retracted_left[unit.denomination], 0))
        retracted_left[unit.denomination] -= retracted
        taken = presented - retracted if status.position == OutputPosition.TAKEN else 0
        notes.append(NoteOutcome(unit.id, unit.denomination, planned.get(unit.id, 0), picked,
                                 moved["stacked"] + presented, presented, taken, retracted,
                                 moved["rejected"], moved["unknown"]))
    return tuple(sorted(notes, key=lambda n: n.cassette_id))


def state_of(notes: tuple[NoteOutcome, ...], status: DeviceStatus) -> DispenseState:
    """Return the dispense's state from its notes and the output position."""
    if not any(n.presented for n in notes):
        return DispenseState.FAILED
    if status.position == OutputPosition.PRESENTED:
        return DispenseState.PRESENTED
    if all(n.retracted == n.presented for n in notes):
        return DispenseState.RETRACTED
    return DispenseState.TAKEN


def _by_denomination(bin_state: Any) -> dict[int, int]:
    # A terminal pays one currency, so the denomination names the note.
    counts: dict[int, int] = {}
    for (_currency, denomination), n in bin_state.notes.items():
        counts[denomination] = counts.get(denomination, 0) + n
    return counts
