"""Keep the simulated device's state in a JSON file, so it survives a simulated power loss.

A driver opened with `sim://?state=/path/file.json` reads the file if it exists and rewrites it
(atomically) after every change, the way a real dispenser keeps its counters in non-volatile
memory. A new driver on the same file sees the counters, the stack, the jammed notes and the
interrupted operation exactly as the last one left them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk_service.hardware.results import (
    DeviceEvent,
    EventKind,
    NoteMovement,
    Operation,
    OperationResult,
)
from kiosk_service.hardware.status import CassetteStatus, DeviceState, OutputPosition, ShutterState
from sim.machine import Machine, Unit

#: Bumped when the file layout changes; an older file is refused rather than misread.
STATE_VERSION = 1


class StateFileError(ValueError):
    """The state file is unreadable or from another version (a URL problem for the caller)."""


def save(path: Path, machine: Machine, rng_state: Any) -> None:
    """Write the machine and the fault generator's state to `path`, atomically."""
    data = {"version": STATE_VERSION, "machine": _machine_to_json(machine),
            "rng": _to_lists(rng_state)}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(temporary, path)


def load(path: Path) -> tuple[Machine, Any] | None:
    """Return (machine, generator state) from `path`, or None when there is no such file.

    Raises StateFileError for a file that is not a simulator state of this version.
    """
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise StateFileError(f"cannot read simulator state {path}: {error}") from error
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise StateFileError(f"{path} is not a version-{STATE_VERSION} simulator state")
    try:
        return _machine_from_json(data["machine"]), _to_tuples(data["rng"])
    except (KeyError, TypeError, ValueError) as error:
        raise StateFileError(f"{path} is a damaged simulator state: {error}") from error


def _machine_to_json(machine: Machine) -> dict[str, Any]:
    return {
        "units": [asdict(unit) for unit in machine.units.values()],
        "device": machine.device, "position": machine.position, "shutter": machine.shutter,
        "stack": machine.stack, "transport": machine.transport,
        "reject_bin": _notes_out(machine.reject_bin),
        "retract_bin": _notes_out(machine.retract_bin),
        "retract_operations": machine.retract_operations,
        "taken": _notes_out(machine.taken), "loaded": _notes_out(machine.loaded),
        "unloaded": _notes_out(machine.unloaded),
        "take_at": machine.take_at.isoformat() if machine.take_at else None,
        "presented_stack": machine.presented_stack,
        "dispenses": machine.dispenses, "presents": machine.presents,
        "interrupted": result_to_json(machine.interrupted),
    }


def _machine_from_json(data: dict[str, Any]) -> Machine:
    units = {}
    for raw in data["units"]:
        unit = Unit(**{f.name: raw[f.name] for f in fields(Unit)})
        unit.status = CassetteStatus(unit.status)
        units[unit.id] = unit
    return Machine(
        units=units, device=DeviceState(data["device"]),
        position=OutputPosition(data["position"]), shutter=ShutterState(data["shutter"]),
        stack=dict(data["stack"]), transport=dict(data["transport"]),
        reject_bin=_notes_in(data["reject_bin"]), retract_bin=_notes_in(data["retract_bin"]),
        retract_operations=data["retract_operations"], taken=_notes_in(data["taken"]),
        loaded=_notes_in(data["loaded"]), unloaded=_notes_in(data["unloaded"]),
        take_at=datetime.fromisoformat(data["take_at"]) if data["take_at"] else None,
        presented_stack=dict(data["presented_stack"]), dispenses=data["dispenses"],
        presents=data["presents"], interrupted=result_from_json(data["interrupted"]))


def result_to_json(result: OperationResult | None) -> dict[str, Any] | None:
    """Return the JSON form of an OperationResult (None stays None)."""
    if result is None:
        return None
    return {"operation": result.operation, "position": result.position,
            "completed": result.completed,
            "notes": [asdict(movement) for movement in result.notes.values()],
            "events": [asdict(event) for event in result.events],
            "recovered": result_to_json(result.recovered)}


def result_from_json(data: dict[str, Any] | None) -> OperationResult | None:
    """Rebuild an OperationResult from its JSON form."""
    if data is None:
        return None
    movements = [NoteMovement(**raw) for raw in data["notes"]]
    events = tuple(DeviceEvent(EventKind(e["kind"]), e["cassette"], e["notes"])
                   for e in data["events"])
    return OperationResult(Operation(data["operation"]), {m.cassette: m for m in movements},
                           OutputPosition(data["position"]), data["completed"], events,
                           result_from_json(data["recovered"]))


def _notes_out(counts: Counter) -> dict[str, int]:
    return {f"{currency}:{denomination}": n for (currency, denomination), n in counts.items() if n}


def _notes_in(data: dict[str, int]) -> Counter:
    counts: Counter = Counter()
    for key, n in data.items():
        currency, denomination = key.split(":")
        counts[(currency, int(denomination))] = n
    return counts


def _to_lists(value: Any) -> Any:
    return [_to_lists(v) for v in value] if isinstance(value, tuple | list) else value


def _to_tuples(value: Any) -> Any:
    return tuple(_to_tuples(v) for v in value) if isinstance(value, list) else value
