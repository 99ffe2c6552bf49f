"""Benchmark the central mode: a fleet of terminals on PostgreSQL, 1 then 2 service processes.

Starts a throwaway PostgreSQL as .ci/run does (or uses --database-url), writes terminal files
for --terminals terminals (the demo CZK cassettes with a deep stock; `sim://?pace=0` devices,
or one `kiosk-sim xfs4iot` endpoint process per terminal with --xfs4iot), imports them with
`kiosk-service terminals import`, gives each a kiosk key, and for 1 and 2 `kiosk-service serve`
processes drives them from a loopback load generator:

- the mix: quotes for every wish kind (fewest, small, mixed, counts, bounds, options) on
  random terminals, a third of the quotes dispensed (signed by the host), round-robin over
  N `serve --processes 1` on N ports, as a load balancer spreads them (with --workers and
  --xfs4iot: one `serve --processes N`, gunicorn's workers on one port; `serve` refuses
  several processes for sim://, whose device lives in one process: on N ports each process
  simulates its own copy of each device, which is load enough but not one device);
- closed loop (--clients back-to-back senders): throughput and p50/p99 of quotes and
  dispenses;
- open loop at --rate quotes/s (latency at a fixed load, counted from the scheduled time);
- database connections (pg_stat_activity, peak while loaded) and CPU seconds of the
  service processes, of PostgreSQL and of the load generator per request, which is what
  says where the bound is.

Prints the scaling ratio from 1 to 2 processes. On a machine with few cores the load
generator competes with the servers: the CPU figures say how much.

    python bench/fleet.py [--terminals 500] [--seconds 15] [--clients 12] [--rate 100]
                          [--processes 1,2] [--dispensed 0.333] [--database-url URL]
                          [--xfs4iot]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    ROOT,
    create_database,
    free_port,
    postgres_bin,
    postgres_server,
    wait_port,
)
from bench.load import FACES, SECRET, LoadGenerator, Tally, summary  # noqa: E402
from bench.process_stats import cpu_seconds, own_cpu, postgres_pids, with_children  # noqa: E402
from kiosk_service import create_app  # noqa: E402
from kiosk_service.persistence.database import normalise_url  # noqa: E402
from kiosk_service.persistence.migrate import upgrade_database  # noqa: E402
from kiosk_service.records import Role  # noqa: E402
from kiosk_service.services.keys import create_key  # noqa: E402

SECRET_ENV = "CASHMIX_FLEET_HOST_SECRET"
#: Waitress threads per process (the GIL: more threads add queueing, not throughput).
SERVER_THREADS = 4
#: Notes per cassette: enough that a run never empties a terminal.
STOCK = 100_000
REGIONS = ("praha", "brno", "ostrava", "plzen", "liberec")
#: The throwaway server is tuned for throughput, not durability.
PG_SETTINGS = "-c max_connections=200 -c shared_buffers=256MB -c synchronous_commit=off"


# ---------------------------------------------------------------- PostgreSQL and terminals

@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a PostgreSQL cluster on a free port (as .ci/run does) with the fleet's database;
    yield its URL."""
    if postgres_bin() is None:
        raise SystemExit("no PostgreSQL found: apt-get install postgresql, or --database-url")
    with postgres_server(PG_SETTINGS) as server:
        yield create_database(server, "cashmix_fleet")


def terminal_id(n: int) -> str:
    return f"fleet-{n:05d}"


def write_terminal_files(folder: Path, count: int, dispensers: dict[str, str]) -> list[Path]:
    """Write one terminal file per terminal; return their paths."""
    paths = []
    for n in range(count):
        tid = terminal_id(n)
        lines = [f'id = "{tid}"', f'name = "Fleet ATM {n}"', 'currency = "CZK"',
                 "note_limit = 40", f'host_secret_env = "{SECRET_ENV}"',
                 f'region = "{REGIONS[n % len(REGIONS)]}"',
                 f'dispenser = "{dispensers.get(tid, f"sim://?seed={n}&pace=0")}"', "",
                 "[policy]", 'offered = ["fewest", "small", "mixed", "counts", "bounds", '
                 '"options"]', 'default = "fewest"']
        for letter, face in zip("ABCDEF", FACES, strict=True):
            lines += ["", "[[cassettes]]", f'id = "{letter}"', f"denomination = {face}",
                      f"count = {STOCK}", "low_threshold = 50"]
        path = folder / f"{tid}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def server_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASHMIX_")}
    return env | {"DATABASE_URL": url, SECRET_ENV: SECRET, "CASHMIX_LOG_LEVEL": "WARNING",
                  "CASHMIX_RECOVER_ON_START": "false", "PYTHONPATH": str(ROOT)}


def prepare(url: str, files: list[Path], count: int) -> dict[str, str]:
    """Migrate, import the files through the CLI, create a kiosk key per terminal."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    upgrade_database(deps.engine)
    began = time.perf_counter()
    command = [sys.executable, "-m", "kiosk_service", "terminals", "import", *map(str, files)]
    subprocess.run(command, env=server_env(url), check=True, stdout=subprocess.DEVNULL)
    imported = time.perf_counter() - began
    keys = {terminal_id(n): create_key(Role.KIOSK, terminal_id(n), uow=deps.unit_of_work(),
                                       clock=deps.clock) for n in range(count)}
    deps.close()
    print(f"imported {count} terminal files in {imported:.1f} s")
    return keys


# ------------------------------------------------------------ processes, connections

def start_servers(url: str, count: int, folder: Path,
                  workers: bool) -> list[tuple[subprocess.Popen, int]]:
    """Start `count` service processes: one `serve --processes N` (gunicorn workers on one
    port) with `workers`, else N `serve --processes 1` on N ports."""
    servers = []
    for n, processes in enumerate([count] if workers else [1] * count):
        port = free_port()
        with open(folder / f"server-{n}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "kiosk_service", "serve", "--port", str(port),
                 "--threads", str(SERVER_THREADS), "--processes", str(processes)],
                env=server_env(url), stdout=subprocess.DEVNULL, stderr=log)
        servers.append((process, port))
    for process, port in servers:
        wait_healthy(process, port, folder)
    return servers


def wait_healthy(process: subprocess.Popen, port: int, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server died; see {folder}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.1)
    raise SystemExit("a server did not start")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ConnectionSampler:
    """Samples pg_stat_activity for the service's connections while the load runs."""

    def __init__(self, url: str):
        self.engine = create_engine(normalise_url(url), pool_size=1)
        self.peak, self.idle_peak = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def _run(self) -> None:
        query = text("SELECT count(*), count(*) FILTER (WHERE state = 'idle') FROM "
                     "pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        with self.engine.connect() as connection:
            while not self._stop.wait(0.25):
                total, idle = connection.execute(query).one()
                connection.rollback()
                # The bench's own key creation and importing are done: every connection
                # left is a service process's.
                self.peak, self.idle_peak = max(self.peak, total), max(self.idle_peak, idle)


# ---------------------------------------------------------------------------- main

@dataclass
class Run:
    processes: int
    throughput: float = 0.0
    quotes_per_s: float = 0.0
    lines: list[str] = field(default_factory=list)


def measure(url: str, keys: dict[str, str], processes: int, args, folder: Path) -> Run:
    servers = start_servers(url, processes, folder, args.workers)
    pids = with_children([process.pid for process, _ in servers])
    run = Run(processes)
    try:
        warm = LoadGenerator([port for _, port in servers], keys, Tally(), args.seed + 99)
        warm.closed_loop(args.clients, min(3.0, args.seconds / 3))
        tally = Tally()
        fleet = LoadGenerator([port for _, port in servers], keys, tally, args.seed, args.dispensed)
        service_cpu, db_cpu, gen_cpu = cpu_seconds(pids), cpu_seconds(postgres_pids()), \
            own_cpu()
        with ConnectionSampler(url) as sampler:
            elapsed = fleet.closed_loop(args.clients, args.seconds)
        service_cpu = cpu_seconds(pids) - service_cpu
        db_cpu = cpu_seconds(postgres_pids()) - db_cpu
        gen_cpu = own_cpu() - gen_cpu
        requests = len(tally.quotes) + len(tally.dispenses)
        served = sum(n for (_, status), n in tally.statuses.items() if status < 300)
        if served < requests * 0.9:
            raise SystemExit(f"more than a tenth of the requests failed: "
                             f"{dict(tally.statuses)} {dict(tally.codes)}; see {folder}")
        # Throughput counts what was served; the CPU figures divide by every request.
        run.throughput = served / elapsed
        run.quotes_per_s = tally.statuses[("quote", 201)] / elapsed
        run.lines += [
            f"{processes} process(es) x {SERVER_THREADS} threads "
            f"({'gunicorn workers, one port' if args.workers else 'one port each'}), "
            f"{args.clients} clients, "
            f"{elapsed:.1f} s closed loop:",
            f"  throughput       {run.throughput:7.1f} requests/s served  "
            f"({run.quotes_per_s:.1f} quotes/s, "
            f"{tally.statuses[('dispense', 201)] / elapsed:.1f} dispenses/s)",
            f"  quotes           {summary(tally.quotes)}",
            f"  dispenses        {summary(tally.dispenses)}",
            f"  db connections   peak {sampler.peak} ({sampler.idle_peak} idle at most)",
            f"  CPU per request  service {service_cpu / requests * 1000:.2f} ms, PostgreSQL "
            f"{db_cpu / requests * 1000:.2f} ms, load generator "
            f"{gen_cpu / requests * 1000:.2f} ms  (of {os.cpu_count()} cores: service "
            f"{service_cpu / elapsed:.2f}, PostgreSQL {db_cpu / elapsed:.2f}, generator "
            f"{gen_cpu / elapsed:.2f} cores busy)",
            f"  responses        {dict(sorted(tally.statuses.items()))}",
        ]
        if tally.codes:
            run.lines.append(f"  errors           {dict(tally.codes)}")
        if args.rate:
            paced = Tally()
            elapsed, late = LoadGenerator([port for _, port in servers], keys, paced, args.seed + 1,
                                  args.dispensed).open_loop(args.rate, args.seconds)
            run.lines += [
                f"  open loop at {args.rate:g} customers/s for {args.seconds:g} s "
                f"({args.dispensed:.0%} dispensed):",
                f"    quotes         {summary(paced.quotes)}",
                f"    dispenses      {summary(paced.dispenses)}",
                f"    from schedule  {summary(late)}",
            ]
            if paced.codes:
                run.lines.append(f"    errors         {dict(paced.codes)}")
    finally:
        stop([process for process, _ in servers])
    return run


def endpoints(count: int, files: list[Path], folder: Path) -> tuple[dict[str, str], list]:
    """Start one `kiosk-sim xfs4iot` endpoint per terminal, each listening before the next
    port is picked; return URLs and processes."""
    urls, processes = {}, []
    for n in range(count):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "sim", "xfs4iot", "--terminal", str(files[n]), "--port",
             str(port), "--take-after", "0"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=server_env("")))
        urls[terminal_id(n)] = f"xfs4iot://127.0.0.1:{port}/xfs4iot/v1.0?dialect=2024-3"
        if not wait_port(port, processes[-1], 30):
            raise SystemExit(f"the endpoint of {terminal_id(n)} did not start")
    return urls, processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=12,
                        help="closed-loop senders (threads of the load generator)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="customers/s of the open-loop run (0: skip it)")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--dispensed", type=float, default=1 / 3,
                        help="share of the quotes dispensed (0: quotes only)")
    parser.add_argument("--database-url", default=None,
                        help="an existing PostgreSQL database (its public schema is reset)")
    parser.add_argument("--xfs4iot", action="store_true",
                        help="each terminal on its own kiosk-sim xfs4iot endpoint process")
    parser.add_argument("--workers", action="store_true",
                        help="N processes as `serve --processes N` (gunicorn, one port; needs "
                             "--xfs4iot: a sim:// device lives in one process) instead of N "
                             "`serve` on N ports")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.workers and not args.xfs4iot:
        parser.error("--workers needs --xfs4iot: serve refuses several processes for sim://")

    folder = Path(tempfile.mkdtemp(prefix="cashmix-fleet-"))
    devices: list[subprocess.Popen] = []
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(throwaway_postgres())
        stack.callback(shutil.rmtree, folder, True)
        stack.callback(lambda: stop(devices))
        dispensers: dict[str, str] = {}
        files = write_terminal_files(folder, args.terminals, dispensers)
        if args.xfs4iot:
            dispensers, devices = endpoints(args.terminals, files, folder)
            files = write_terminal_files(folder, args.terminals, dispensers)
        keys = prepare(url, files, args.terminals)
        layout = ("N processes = `serve --processes N`" if args.workers else
                  "N processes = N `serve` on N ports, round-robin by the load generator")
        print(f"Cashmix fleet benchmark: {args.terminals} terminals on "
              f"{'xfs4iot:// endpoints' if args.xfs4iot else 'sim://?pace=0'}, PostgreSQL, "
              f"{os.cpu_count()} CPUs, seed {args.seed}; {layout}")
        runs = []
        for processes in (int(p) for p in args.processes.split(",")):
            run = measure(url, keys, processes, args, folder)
            runs.append(run)
            print("\n".join(run.lines), flush=True)
        if len(runs) >= 2 and runs[0].throughput:
            ratio = runs[-1].throughput / runs[0].throughput
            print(f"scaling {runs[0].processes} -> {runs[-1].processes} processes: "
                  f"x{ratio:.2f} throughput")


if __name__ == "__main__":
    main()
