"""Recorded XFS4IoT transcripts: a normal dispense and each fault, in both dialects.

    python -m tests.xfs4iot.transcripts        # rewrite tests/xfs4iot/transcripts/*/*.jsonl

Each case runs the `xfs4iot://` driver against `kiosk-sim xfs4iot` (in this process) and
keeps every message as JSON lines `{"direction", "message"}`, as the driver saw them: discovery
(publisher, capabilities), the storage and status reads, then the case itself. The port of the
service URI is written as 5846, the range's first.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk_service.hardware import DispenserError, open_dispenser
from kiosk_service.hardware.dispenser import Dispenser
from sim.xfs4iot.cli import build_endpoint

TERMINAL = Path(__file__).resolve().parents[2] / "config" / "terminals" / "demo-czk.toml"
FOLDER = Path(__file__).resolve().parent / "transcripts"
DIALECTS = ("2021-1", "2024-3")


def _cycle(device: Dispenser, plan: dict[str, int], timeout: float = 5.0) -> None:
    device.dispense(plan)
    device.present()
    device.wait_for_take(timeout)


def _failed_then_reset(plan: dict[str, int]) -> Callable[[Dispenser], None]:
    def run(device: Dispenser) -> None:
        with contextlib.suppress(DispenserError):
            device.dispense(plan)
        device.reset()
        with contextlib.suppress(DispenserError):
            device.reject()
    return run


def _shutter(device: Dispenser) -> None:
    device.dispense({"A": 1})
    with contextlib.suppress(DispenserError):
        device.present()
    device.reset()
    device.reject()


#: case -> (endpoint options, what the driver does, what the case shows)
CASES: dict[str, tuple[dict, Callable[[Dispenser], None], str]] = {
    "normal": ({"take_after": 0.2}, lambda d: _cycle(d, {"C": 3, "B": 2, "A": 1}),
               "2000 CZK as 3 x 500 + 2 x 200 + 1 x 100: dispense, present, taken"),
    "no-take": ({}, lambda d: _cycle(d, {"B": 2}, timeout=0.5),
                "the customer never takes: the driver retracts after its timeout"),
    "take-during-retract": ({"take_after": 1.0}, lambda d: _cycle(d, {"B": 2}, timeout=0.2),
                            "the customer takes while the retract runs: itemsTaken"),
    "jam": ({"faults": "jam:C:1"}, _failed_then_reset({"C": 3}),
            "cassette C jams on its second note: StorageErrorEvent, cashUnitError, reset"),
    "partial": ({"faults": "short:D:299"}, _failed_then_reset({"D": 3}),
                "cassette D runs empty after one note: IncompleteDispenseEvent"),
    "double-pick": ({"faults": "double_pick:A:1", "take_after": 0.2},
                    lambda d: _cycle(d, {"A": 2}),
                    "two notes picked together go to the reject bin: NoteErrorEvent"),
    "power-loss": ({"faults": "power_loss:1:2"}, _failed_then_reset({"A": 5}),
                   "power fails after two notes: hardwareError, powerOff, reset"),
    "shutter-jam": ({"faults": "shutter:1"}, _shutter,
                    "the shutter does not open: shutterNotOpen, ShutterStatusChangedEvent"),
    "disconnect": ({"faults": "disconnect:1", "take_after": 0.2},
                   lambda d: _cycle(d, {"A": 2}),
                   "the connection drops before the dispense completes: reconnect, counters"),
}


def record(case: str, dialect: str) -> list[dict]:
    """Run one case and return its transcript lines."""
    options, run, _ = CASES[case]
    endpoint = build_endpoint(TERMINAL, dialect=dialect, port=0, **options)
    endpoint.start()
    lines: list[dict] = []
    try:
        url = f"xfs4iot://127.0.0.1:{endpoint.port}/xfs4iot/v1.0?dialect={dialect}&timeout=10"
        with open_dispenser(url, observer=lambda d, m: lines.append(
                {"direction": d, "message": m})) as device:
            run(device)
        return [_portless(line, endpoint.port) for line in lines]
    finally:
        endpoint.stop()
        endpoint.service.device.close()


def path_of(case: str, dialect: str) -> Path:
    """Return the fixture file of a case."""
    return FOLDER / dialect / f"{case}.jsonl"


def load(case: str, dialect: str) -> list[dict]:
    """Return a stored transcript's lines."""
    return [json.loads(line) for line in path_of(case, dialect).read_text().splitlines()]


def _portless(line: dict, port: int) -> dict:
    text = re.sub(rf"127\.0\.0\.1:{port}\b", "127.0.0.1:5846", json.dumps(line))
    return json.loads(text)


def main() -> int:
    for dialect in DIALECTS:
        (FOLDER / dialect).mkdir(parents=True, exist_ok=True)
        for case in CASES:
            lines = record(case, dialect)
            path_of(case, dialect).write_text(
                "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                encoding="utf-8")
            print(f"{path_of(case, dialect)}: {len(lines)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
