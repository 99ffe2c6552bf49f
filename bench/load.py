"""The fleet benchmark's load: customers asking for every wish kind on random terminals, a
share of the quotes dispensed with the host's signature, in a closed or an open loop, and the
tally of their latencies and answers."""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.harness import authorized

#: The host secret of the benchmark's terminals (fleet.py gives it to the servers).
SECRET = "fleet-bench-secret"
#: The notes of every terminal's six cassettes, A to F (CZK).
FACES = (100, 200, 500, 1000, 2000, 5000)
KINDS = ("fewest", "small", "mixed", "counts", "bounds", "options")
#: What customers ask for (CZK).
AMOUNTS = (300, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000)


@dataclass
class Tally:
    """The latencies (ms) of quotes and dispenses, and the answers by status and error code."""

    quotes: list[float] = field(default_factory=list)
    dispenses: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, ms: float, status: int, body: dict) -> None:
        with self.lock:
            (self.quotes if what == "quote" else self.dispenses).append(ms)
            self.statuses[(what, status)] += 1
            if status >= 400:
                self.codes[(what, body.get("code") if isinstance(body, dict) else None)] += 1


def wish(rng: random.Random) -> tuple[int, dict]:
    """Return (amount in minor units, preference) of one customer."""
    kind = rng.choice(KINDS)
    if kind == "counts":
        counts = {str(face * 100): rng.randint(1, 3) for face in rng.sample(FACES[:5], 2)}
        return sum(int(k) * n for k, n in counts.items()), {"kind": "counts", "counts": counts}
    amount = rng.choice(AMOUNTS) * 100
    if kind == "bounds":
        return amount, {"kind": "bounds", "exclude": [200000], "min": {"10000": 1}}
    return amount, {"kind": kind}


class LoadGenerator:
    """Customers on random terminals: keep-alive connections per thread and server,
    round-robin over the servers' ports."""

    def __init__(self, ports: list[int], keys: dict[str, str], tally: Tally, seed: int,
                 dispensed: float = 1 / 3):
        self.ports, self.keys, self.tally, self.dispensed = ports, keys, tally, dispensed
        self.terminals = sorted(keys)
        self.local = threading.local()
        self.turn = iter(range(10**12))
        self.seed = seed

    def _call(self, method: str, path: str, key: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[int, dict]:
        port = self.ports[next(self.turn) % len(self.ports)]
        connections = getattr(self.local, "connections", None)
        if connections is None:
            connections = self.local.connections = {}
        for attempt in (1, 2):
            connection = connections.get(port)
            if connection is None:
                connection = connections[port] = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=60)
            try:
                connection.request(method, path, json.dumps(body) if body else None,
                                   {"Content-Type": "application/json",
                                    "Authorization": f"Bearer {key}"} | (headers or {}))
                response = connection.getresponse()
                return response.status, json.loads(response.read() or b"null")
            except (OSError, http.client.HTTPException):
                connection.close()
                connections.pop(port, None)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def customer(self, rng: random.Random) -> None:
        """One customer: a quote on a random terminal, dispensed with `dispensed` odds."""
        tid = rng.choice(self.terminals)
        key = self.keys[tid]
        amount, preference = wish(rng)
        began = time.perf_counter()
        status, quote = self._call("POST", f"/api/v1/terminals/{tid}/quotes", key,
                                   {"amount": {"value": amount, "currency": "CZK"},
                                    "preference": preference})
        self.tally.add("quote", (time.perf_counter() - began) * 1000, status, quote)
        if status != 201 or rng.random() >= self.dispensed:
            return
        body = authorized(quote, secret=SECRET, terminal=tid)
        began = time.perf_counter()
        status, body = self._call("POST", f"/api/v1/terminals/{tid}/dispenses", key, body,
                                  {"Idempotency-Key": quote["id"]})
        self.tally.add("dispense", (time.perf_counter() - began) * 1000, status, body)

    def closed_loop(self, clients: int, seconds: float) -> float:
        """Run `clients` back-to-back customers for `seconds`; return elapsed seconds."""
        stop_at = time.perf_counter() + seconds

        def sender(n: int) -> None:
            rng = random.Random(self.seed * 1000 + n)
            while time.perf_counter() < stop_at:
                self.customer(rng)

        began = time.perf_counter()
        threads = [threading.Thread(target=sender, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - began

    def open_loop(self, rate: float, seconds: float, workers: int = 32) -> tuple[float, list]:
        """Start customers at `rate` per second; return elapsed seconds and the latencies of
        their quotes counted from the scheduled start (ms)."""
        count = int(rate * seconds)
        start = time.perf_counter() + 0.2
        late: list[float] = []

        def task(index: int) -> None:
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self.customer(random.Random(self.seed * 7919 + index))
            late.append((time.perf_counter() - scheduled) * 1000)

        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(task, i) for i in range(count)]:
                future.result()
        return time.perf_counter() - start, late


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile of `values` (the rank rounded; nan for none): the fleet's
    figures, not harness.percentile's nearest rank, so they read as they always have."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    """Return "p50 ... ms  p99 ... ms  n=..." for latencies in ms."""
    if not values:
        return "n=0"
    return (f"p50 {statistics.median(values):6.1f} ms  p99 {percentile(values, 99):6.1f} ms  "
            f"n={len(values)}")
