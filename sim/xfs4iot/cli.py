"""`kiosk-sim xfs4iot`: serve the simulated dispenser over XFS4IoT for any XFS4IoT client.

    kiosk-sim xfs4iot --terminal config/terminals/demo-czk.toml --port 5846 --take-after 2

The device is the `sim://` simulator with its faults and counters (see sim/faults.py), plus
`disconnect:N`: the endpoint drops the connection during the N-th dispense, after the notes
are stacked and before the completion. Without `--take-after` the customer never takes the
notes, so the client must retract them. Mechanical steps take no time unless `--real-time`.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import threading
import tomllib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from denomination.catalogue import default_catalogue
from denomination.errors import CashmixError
from kiosk_service.hardware.clock import Clock, SystemClock
from kiosk_service.hardware.xfs4iot.messages import DIALECTS, dialect_named
from sim.dispenser import SimulatedDispenser
from sim.traffic.terminal import read_terminal
from sim.xfs4iot.device import DeviceService
from sim.xfs4iot.server import Endpoint
from sim.xfs4iot.units import UnitMap

DEFAULT_PORT = 5846
#: A take that never comes: the simulator's customer waits this long (seconds).
NEVER = 10.0 ** 9
MAX_UNIT_ID = 5


class SkippingClock:
    """Wall-clock time in which the device's own waits pass at once: `sleep` moves this clock
    forward without blocking, so mechanics are instant while a customer's delay is real."""

    def __init__(self):
        self._skipped = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return SystemClock().now() + self._skipped

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._skipped += timedelta(seconds=seconds)


def add_xfs4iot_command(commands) -> None:
    """Register `kiosk-sim xfs4iot` on the CLI's subparsers."""
    command = commands.add_parser("xfs4iot", help="serve the simulator over XFS4IoT (WebSocket)",
                                  description=__doc__.splitlines()[0])
    command.add_argument("--terminal", required=True, type=Path,
                         help="terminal TOML file: its cassettes become the storage units")
    command.add_argument("--port", type=int, default=DEFAULT_PORT,
                         help=f"port (default {DEFAULT_PORT}, the first of XFS4IoT's range)")
    command.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    command.add_argument("--dialect", choices=sorted(DIALECTS), default="2024-3",
                         help="wire generation (default 2024-3)")
    command.add_argument("--seed", type=int, default=0, help="seed of probability faults")
    command.add_argument("--faults", default="",
                         help="simulator faults (sim/faults.py) and disconnect:N")
    command.add_argument("--take-after", type=float, default=None,
                         help="seconds before the customer takes presented notes "
                              "(default: never)")
    command.add_argument("--state", type=Path, default=None,
                         help="JSON file holding the device state across restarts")
    command.add_argument("--real-time", action="store_true",
                         help="mechanical steps take as long as on a real dispenser")
    command.add_argument("--pace", type=float, default=1.0,
                         help="with --real-time, scale the mechanical times (1: a real "
                              "dispenser's, 0.1: ten times faster)")
    command.add_argument("--transcript", type=Path, default=None,
                         help="append every message, both ways, to this JSON-lines file")
    command.add_argument("--certfile", type=Path, default=None,
                         help="PEM certificate (chain): serve wss:// (TLS) instead of ws://")
    command.add_argument("--keyfile", type=Path, default=None,
                         help="PEM private key of --certfile (if not inside it)")
    command.add_argument("--kal-codes", action="store_true",
                         help="answer as KAL's service provider does where it differs from "
                              "the standard (short unit: tooManyItems; too many items: "
                              "cashUnitError), to test a client's tolerance")


def build_endpoint(terminal: Path, *, dialect: str = "2024-3", host: str = "127.0.0.1",
                   port: int = DEFAULT_PORT, seed: int = 0, faults: str = "",
                   take_after: float | None = None, state: Path | None = None,
                   real_time: bool = False, clock: Clock | None = None,
                   observer=None, pace: float = 1.0, kal_codes: bool = False,
                   ssl_context: ssl.SSLContext | None = None) -> Endpoint:
    """Return an endpoint serving the terminal file's cassettes on the simulator.

    `pace` scales the device's mechanical times (1: a real dispenser's); they pass at once
    unless `real_time` (or another `clock`) makes them take real time. Raises CashmixError
    subclasses (a bad terminal file, bad faults or state file).
    """
    config = read_terminal(terminal)
    with open(terminal, "rb") as file:
        raw = tomllib.load(file)
    explicit, locked = {}, set()
    for entry in raw.get("cassettes", []):
        if entry.get("unit"):
            explicit[str(entry["id"])] = str(entry["unit"])
        if entry.get("locked"):
            locked.add(str(entry["id"]))
    too_long = [c.id for c in config.cassettes if not 1 <= len(c.id) <= MAX_UNIT_ID]
    if too_long:
        raise CashmixError(f"XFS4IoT unit ids have 1 to {MAX_UNIT_ID} characters: "
                           f"{', '.join(too_long)}", errors={"cassettes": too_long})
    disconnects, sim_faults = set(), []
    for fault in filter(None, (part.strip() for part in faults.split(","))):
        name, _, arg = fault.partition(":")
        if name == "disconnect":
            if not arg.isdigit() or int(arg) < 1:
                raise CashmixError(f"bad fault {fault!r}: disconnect:N with N >= 1",
                                   errors={"faults": [fault]})
            disconnects.add(int(arg))
        else:
            sim_faults.append(fault)
    url = (f"sim://?seed={seed}&max_notes={config.note_limit}&pace={pace}"
           f"&take_after={take_after if take_after is not None else NEVER}"
           f"&faults={quote(','.join(sim_faults))}")
    if state:
        url += f"&state={quote(str(state))}"
    cassettes = [c if c.id not in locked else _locked(c) for c in config.cassettes]
    device = SimulatedDispenser.from_url(
        url, clock=clock or (SystemClock() if real_time else SkippingClock()),
        cassettes=cassettes)
    exponents = {code: c.exponent for code, c in default_catalogue().currencies.items()}
    units = UnitMap.build(device.status().cassettes, exponents, explicit)
    wire = dialect_named(dialect)
    service = DeviceService(device, units, wire, exponents=exponents,
                            disconnect_on=frozenset(disconnects), kal_codes=kal_codes)
    return Endpoint(service, wire, host=host, port=port, observer=observer,
                    ssl_context=ssl_context)


def run_xfs4iot(args: argparse.Namespace) -> int:
    """Serve until interrupted; return the exit status (2 for a bad terminal file)."""
    transcript = TranscriptWriter(args.transcript) if args.transcript else None
    try:
        tls = None
        if args.certfile:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(args.certfile, args.keyfile)
        endpoint = build_endpoint(args.terminal, dialect=args.dialect, host=args.host,
                                  port=args.port, seed=args.seed, faults=args.faults,
                                  take_after=args.take_after, state=args.state,
                                  real_time=args.real_time, pace=args.pace,
                                  observer=transcript,
                                  kal_codes=args.kal_codes, ssl_context=tls)
        endpoint.bind()
    except CashmixError as error:
        print(f"kiosk-sim xfs4iot: {error.message}", file=sys.stderr)
        for place, problems in (error.details.get("errors") or {}).items():
            for problem in problems if isinstance(problems, list) else [problems]:
                print(f"  {place}: {problem}", file=sys.stderr)
        return 2
    except ssl.SSLError as error:
        print(f"kiosk-sim xfs4iot: cannot use the certificate: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"kiosk-sim xfs4iot: cannot listen on {args.host}:{args.port} ({error.strerror}); "
              "pick another port with --port", file=sys.stderr)
        return 2
    print(f"XFS4IoT {args.dialect} publisher at {endpoint.publisher_url} "
          f"(service {endpoint.publisher_url}/CashDispenser1)", flush=True)
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        endpoint.stop()
    finally:
        endpoint.service.device.close()
    return 0


class TranscriptWriter:
    """Appends `{"direction": ..., "message": ...}` lines to a file, one per message."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, direction: str, message: dict) -> None:
        line = json.dumps({"direction": direction, "message": message}, ensure_ascii=False)
        with self._lock, open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


def _locked(cassette):
    return replace(cassette, locked=True)
