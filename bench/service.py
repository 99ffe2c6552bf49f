"""Benchmark the HTTP service end to end against the optimiser alone; prints figures.

Starts the real server (`kiosk-service serve`, waitress) on a fresh SQLite database with the
demo CZK terminal on the simulator (pace 0: no mechanical time), then drives it from a
loopback load generator:

1. quotes at a fixed arrival rate (open loop: latency counts from the scheduled send time);
2. quotes as fast as a few closed-loop clients can go (throughput);
3. quote + dispense pairs at a fixed rate (dispense latency);
4. the optimiser alone, in this process, on the same requests and the same calls a quote makes
   (the plan, plus the options menu when the wish is not met exactly), so the ratio is the
   service's overhead.

With `--processes 2` the server runs two gunicorn workers and the terminal's device is a
`kiosk-sim xfs4iot` endpoint (a simulator inside the process cannot be shared; the dispense
phase is left out). `--hold 2` makes holds expire within the run, so every quote also
releases expired holds. CPU per quote is the server's CPU time (every process) over the
quotes of a phase, printed beside the optimiser's CPU for the same calls.

One terminal's quotes run one at a time (each holds the terminal's lock from reading its
stock to commit, so two quotes never hold the same notes), which bounds one terminal's
throughput by that transaction's time whatever the processes. `--terminals N` spreads the
quotes over N copies of the demo terminal, as a fleet's are spread (on SQLite every writer
shares one lock, so there it changes nothing).

Targets: CPU per quote <= 2.5 ms; quote p99 <= 10 ms at 100/s, <= 30 ms at 300/s with two
processes; two processes >= 350 quotes/s closed loop.

    python bench/service.py [--rate 100] [--seconds 10] [--dispense-rate 20] [--seed 1]
        [--processes 1] [--hold 60] [--terminals 1] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import DeviceProcess, free_port  # noqa: E402
from bench.load import percentile  # noqa: E402
from denomination import NotDispensable, plan_mix  # noqa: E402
from kiosk_service import create_app
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.records import Role
from kiosk_service.services.authorization import sign
from kiosk_service.services.keys import create_key
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file

ROOT = Path(__file__).resolve().parent.parent
TERMINAL = "demo-czk"
SECRET = "bench-host-secret"
#: Notes per cassette for the run: enough that holds never empty the terminal.
STOCK = 200_000
#: Targets (issue 18): quote p99 at 100/s on one process, at 300/s on two; closed-loop quotes/s
#: on two processes; server CPU per quote.
FLOOR_P99_MS = {1: 10.0, 2: 30.0}
#: The arrival rate each p99 target is set at, by processes.
TARGET_RATE = {1: 100, 2: 300}
FLOOR_THROUGHPUT = 350.0
FLOOR_CPU_MS = 2.5
#: Waitress worker threads: the GIL makes more threads add queueing, not throughput.
SERVER_THREADS = 4
AMOUNTS = [300, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000, 15000, 20000]
KINDS = ["fewest", "fewest", "fewest", "small", "mixed", "options", "bounds", "counts"]


def workload(count: int, seed: int) -> list[tuple[int, dict]]:
    """Return (amount in minor units, preference) pairs with a seeded generator."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        amount = rng.choice(AMOUNTS) * 100
        kind = rng.choice(KINDS)
        preference: dict = {"kind": kind}
        if kind == "bounds":
            preference["exclude"] = [200000]
        if kind == "counts":
            preference["counts"] = {"50000": 1, "10000": 2}
        out.append((amount, preference))
    return out


def bench_terminal(folder: Path) -> Path:
    """Write the demo terminal with STOCK notes in every cassette (the database's and the
    device endpoint's copy must agree: the driver follows the device's counts)."""
    text = (ROOT / "config" / "terminals" / "demo-czk.toml").read_text()
    path = folder / "bench-czk.toml"
    path.write_text(re.sub(r"(?m)^(count|capacity) = \d+$", rf"\1 = {STOCK}", text))
    return path


def terminal_ids(count: int) -> list[str]:
    """The bench's terminals: the demo terminal, then copies of it."""
    return [TERMINAL] + [f"{TERMINAL}-{n}" for n in range(2, count + 1)]


def prepare(folder: Path, url: str | None = None, terminals: int = 1
            ) -> tuple[str, dict[str, str], tuple]:
    """Create the database, the bench terminals and a kiosk key for each; return url, keys by
    terminal and the cassettes."""
    if url and url.startswith("postgresql"):            # an empty schema for the run
        from sqlalchemy import create_engine, text

        from kiosk_service.persistence.database import normalise_url

        engine = create_engine(normalise_url(url))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    url = url or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False, "LOG_LEVEL": "WARNING"})
    deps = app.extensions["cashmix"]
    upgrade_database(deps.engine)
    terminal = load_terminal_file(bench_terminal(folder))
    keys = {}
    for terminal_id in terminal_ids(terminals):
        import_terminal(replace(terminal, id=terminal_id), uow=deps.unit_of_work(),
                        clock=deps.clock)
        keys[terminal_id] = create_key(Role.KIOSK, terminal_id, uow=deps.unit_of_work(),
                                       clock=deps.clock)
    deps.close()
    return url, keys, terminal.cassettes


def start_server(url: str, port: int, log: Path, *, processes: int = 1, hold: float = 60,
                 device: str = "sim://?seed=1&pace=0",
                 terminals: list[str] = (TERMINAL,)) -> subprocess.Popen:
    """Start `kiosk-service serve` and wait until /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASHMIX_")}
    env |= {"DATABASE_URL": url, "CASHMIX_DEMO_CZK_HOST_SECRET": SECRET,
            "CASHMIX_LOG_LEVEL": "WARNING", "CASHMIX_QUOTE_HOLD_SECONDS": str(hold),
            "CASHMIX_DISPENSERS": "{" + ", ".join(f'"{t}" = "{device}"' for t in terminals)
            + "}"}
    # This interpreter's copy, not whatever `kiosk-service` PATH finds first.
    argv = [sys.executable, "-m", "kiosk_service"]
    with open(log, "wb") as out:
        server = subprocess.Popen(
            argv + ["serve", "--port", str(port), "--threads", str(SERVER_THREADS),
                    "--processes", str(processes)],
            env=env, stdout=subprocess.DEVNULL, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server died:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


class Client:
    """One keep-alive connection per thread; requests go to the terminals in turn."""

    def __init__(self, port: int, keys: dict[str, str]):
        self.port, self.keys, self.local = port, keys, threading.local()
        self.turns = itertools.cycle(list(keys))

    def post(self, path: str, body: dict, headers: dict | None = None,
             terminal: str = TERMINAL) -> tuple[int, dict]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30)
        connection.request("POST", f"/api/v1/terminals/{terminal}{path}", json.dumps(body),
                           {"Content-Type": "application/json",
                            "Authorization": f"Bearer {self.keys[terminal]}"}
                           | (headers or {}))
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    def quote(self, amount: int, preference: dict,
              terminal: str = TERMINAL) -> tuple[int, dict]:
        return self.post("/quotes", {"amount": {"value": amount, "currency": "CZK"},
                                     "preference": preference}, terminal=terminal)

    def quote_in_turn(self, amount: int, preference: dict) -> tuple[int, dict]:
        """Quote on the next terminal (the bench's terminals take turns)."""
        return self.quote(amount, preference, next(self.turns))


def open_loop(rate: float, jobs: list, run, workers: int = 8) -> tuple[list[float], float]:
    """Send `jobs` at `rate` per second; return latencies (ms, from the scheduled time) and the
    achieved completions per second."""
    latencies: list[float] = []
    start = time.perf_counter() + 0.2

    def task(index: int, job) -> None:
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        run(job)
        latencies.append((time.perf_counter() - scheduled) * 1000)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(task, i, job) for i, job in enumerate(jobs)]:
            future.result()
    return latencies, len(jobs) / (time.perf_counter() - start)


def closed_loop(clients: int, seconds: float, jobs: list, run) -> tuple[list[float], float]:
    """Run `clients` back-to-back senders for `seconds`; return latencies and throughput."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def sender() -> None:
        while time.perf_counter() < stop:
            job = jobs[next(counter) % len(jobs)]
            began = time.perf_counter()
            run(job)
            latencies.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, len(latencies) / (time.perf_counter() - began)


def server_cpu(pid: int) -> float:
    """Return the CPU seconds the server process and its live workers have used (Linux)."""
    def cpu(process: int) -> float:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu(pid) + sum(cpu(int(child)) for child in children)


def line(name: str, latencies: list[float], throughput: float) -> str:
    return (f"{name:<34} {throughput:7.1f}/s  p50 {statistics.median(latencies):6.2f} ms"
            f"  p90 {percentile(latencies, 90):6.2f}  p99 {percentile(latencies, 99):6.2f}"
            f"  max {max(latencies):6.1f} ms  n={len(latencies)}")


def optimiser_alone(cassettes: tuple, jobs: list) -> tuple[list[float], float, float]:
    """Time what a quote asks of the optimiser: the plan, and the options menu when the wish
    is not met exactly (the service's default); return latencies, rate and CPU ms a quote."""
    latencies = []
    cpu = time.process_time()
    began = time.perf_counter()
    for amount, preference in jobs:
        start = time.perf_counter()
        try:
            plan = plan_mix(amount, "CZK", cassettes, preference, max_notes=40)
            if preference["kind"] != "options" and not plan.exact:
                plan_mix(amount, "CZK", cassettes, {"kind": "options"}, max_notes=40)
        except NotDispensable:
            pass
        latencies.append((time.perf_counter() - start) * 1000)
    return (latencies, len(jobs) / (time.perf_counter() - began),
            (time.process_time() - cpu) * 1000 / len(jobs))


def _verdict(met: bool) -> str:
    return "meets" if met else "MISSES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="quotes per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--dispense-rate", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--hold", type=float, default=60.0,
                        help="quote hold in seconds (shorter than the run: holds expire)")
    parser.add_argument("--clients", type=int, default=4, help="closed-loop clients")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--terminals", type=int, default=1,
                        help="quote on this many copies of the demo terminal in turn (one "
                             "terminal's quotes run one at a time under its lock)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cashmix-bench-"))
    url, keys, cassettes = prepare(folder, args.database_url, args.terminals)
    port = free_port()
    device = None
    if args.processes > 1:
        device = DeviceProcess(folder, pace=0, take_after=0,
                               terminal=bench_terminal(folder))
        device.start()
    server = start_server(url, port, folder / "server.log", processes=args.processes,
                          hold=args.hold, device=device.url if device else
                          "sim://?seed=1&pace=0", terminals=list(keys))
    try:
        client = Client(port, keys)
        quotes = workload(int(args.rate * args.seconds), args.seed)
        failures: list[int] = []

        def quote(job) -> dict:
            status, body = client.quote_in_turn(*job)
            if status != 201:
                failures.append(status)
            return body

        def quote_and_dispense(job) -> None:
            status, body = client.quote(*job)
            if status != 201:
                failures.append(status)
            expires = int(time.time()) + 120
            signature = sign(SECRET, TERMINAL, body["id"], body["amount"]["value"], "CZK",
                             expires)
            started = time.perf_counter()
            status, _ = client.post("/dispenses", {
                "quote_id": body["id"],
                "authorization": {"expires_at": expires, "signature": signature}},
                {"Idempotency-Key": body["id"]})
            dispense_latencies.append((time.perf_counter() - started) * 1000)
            if status != 201:
                failures.append(status)

        for job in quotes[:100]:
            quote(job)
        database = url.split(":", 1)[0].split("+")[0]
        server_kind = (f"gunicorn {args.processes} processes x {SERVER_THREADS} threads"
                       if args.processes > 1 else f"waitress {SERVER_THREADS} threads")
        print(f"Cashmix service benchmark: {database}, {server_kind}, {os.cpu_count()} CPUs, "
              f"hold {args.hold:g} s, seed {args.seed}, quotes on {len(keys)} terminal(s)")
        cpu = server_cpu(server.pid)
        open_latencies, open_rate = open_loop(args.rate, quotes, quote)
        open_cpu = (server_cpu(server.pid) - cpu) * 1000 / len(quotes)
        print(line(f"quotes, open loop at {args.rate:g}/s", open_latencies, open_rate)
              + f"  server CPU {open_cpu:.2f} ms/quote")
        cpu = server_cpu(server.pid)
        closed_latencies, closed_rate = closed_loop(args.clients, args.seconds / 2, quotes,
                                                    quote)
        closed_cpu = (server_cpu(server.pid) - cpu) * 1000 / len(closed_latencies)
        print(line(f"quotes, {args.clients} clients back to back", closed_latencies,
                   closed_rate) + f"  server CPU {closed_cpu:.2f} ms/quote")
        if device is None:
            dispense_latencies: list[float] = []
            pairs = workload(int(args.dispense_rate * args.seconds), args.seed + 1)
            pair_latencies, pair_rate = open_loop(args.dispense_rate, pairs,
                                                  quote_and_dispense)
            print(line(f"quote+dispense at {args.dispense_rate:g}/s", pair_latencies,
                       pair_rate))
            print(line("  of which the dispense call", dispense_latencies, pair_rate))
        alone, alone_rate, alone_cpu = optimiser_alone(cassettes, quotes)
        print(line("optimiser alone (same calls)", alone, alone_rate)
              + f"  CPU {alone_cpu:.2f} ms/quote")
        ratio_p50 = statistics.median(open_latencies) / statistics.median(alone)
        ratio_p99 = percentile(open_latencies, 99) / percentile(alone, 99)
        print(f"service / optimiser: p50 x{ratio_p50:.2f}, p99 x{ratio_p99:.2f}; "
              f"throughput x{closed_rate / alone_rate:.2f}")
        p99 = percentile(open_latencies, 99)
        floor = FLOOR_P99_MS.get(args.processes)
        if floor is not None:
            print(f"target: quote p99 {p99:.2f} ms at {args.rate:g}/s {_verdict(p99 <= floor)} "
                  f"<= {floor:g} ms (set at {TARGET_RATE[args.processes]}/s with "
                  f"{args.processes} process(es))")
        if args.processes >= 2:
            print(f"target: closed loop {closed_rate:.1f} quotes/s "
                  f"{_verdict(closed_rate >= FLOOR_THROUGHPUT)} >= {FLOOR_THROUGHPUT:g}")
        cpu = max(open_cpu, closed_cpu)
        print(f"target: server CPU {cpu:.2f} ms/quote (the higher phase) "
              f"{_verdict(cpu <= FLOOR_CPU_MS)} <= {FLOOR_CPU_MS:g}")
        if failures:
            print(f"non-2xx responses: {len(failures)} ({sorted(set(failures))})")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if device is not None:
            device.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
