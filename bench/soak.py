"""Soak: mixed kiosk and staff traffic with device faults for minutes on end, and proof that
memory and latency stay flat, no client sees a 5xx or a lock error, and the ledger balances.

    python bench/soak.py --minutes 10 --database both --rate 3 --seed 1
    python bench/soak.py --minutes 60 --database postgresql      # the hour, on request

The service (`python -m kiosk_service serve`, SQLite or PostgreSQL) and the device
(`python -m sim xfs4iot`, faults seeded) run in their own processes (bench/harness.py); the
traffic goes to 127.0.0.1 only:

- quotes arrive open loop, `--rate` per second (Poisson, seeded), every wish kind (fewest,
  small, mixed, counts, bounds, options), some previews (`hold: false`), some that cannot be
  paid or are malformed (422, expected), some read back; arrivals that find every worker busy
  and the backlog full are shed (counted, never sent late);
- about a third of the held quotes are dispensed with a signed host authorization, by two
  lanes (one device: they queue on the terminal lock); some with
  `complete_from_other_cassettes`, some sent again with their Idempotency-Key (same
  dispense back) or with a new key (refused: the authorization is spent); the other quotes are
  never taken and their holds expire;
- the device jams cassettes B and D once each at a seeded pick (`jam:CID:K`; they stay out of
  service, as XFS4IoT units do until an exchange at the device), picks two notes together
  (`double_pick:P`) or fails a pick, customers walk away (`no_take:P`: the service retracts the
  notes after the take timeout), cassette C holds fewer notes than declared (`short`);
- a staff key reads the cassettes every few seconds and replenishes the low ones (an
  inoperative one once a minute), so the run can last an hour.

One line per minute: requests, outcomes by class (2xx; 4xx expected; 4xx unexpected; 5xx;
lock or timeout errors: `terminal_busy`, a database lock in a body, a client timeout; dropped
connections), shed arrivals, p50/p99 of quotes and of dispenses (ms, from the request's send),
the RSS of the server (every process of its tree) and of the device. At the end: last over
first minute for RSS and p99, the 5xx and lock-error counts (must be 0), the ledger check
(`python -m kiosk_service audit --bins exact --grace 0`, must be clean) and the service log's
tracebacks. Exit 1 when any of those fail.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    ROOT,
    TERMINAL_ID,
    Client,
    DeviceProcess,
    ServiceProcess,
    add_database_option,
    authorized,
    chosen_databases,
    new_database,
    postgres_if_needed,
    prepare,
    workspace,
)
from bench.process_stats import children_by_parent, tree_rss  # noqa: E402
from bench.soak_report import Minute, Result, summary, verdicts  # noqa: E402

BASE = f"/api/v1/terminals/{TERMINAL_ID}"
#: Every wish kind, with and without its parameters (denominations in minor units).
WISHES = (
    {"kind": "fewest"}, {"kind": "small"}, {"kind": "small", "max_notes": 8},
    {"kind": "mixed"}, {"kind": "counts", "counts": {"50000": 1, "20000": 2, "10000": 1}},
    {"kind": "bounds", "min": {"10000": 1}, "max": {"200000": 1}, "exclude": [500000]},
    {"kind": "bounds", "exclude": [20000]}, {"kind": "options"},
)
#: Amounts (minor units: 30000 is 300 CZK), the small ones more often, as at a real kiosk.
AMOUNTS = (10000, 20000, 30000, 50000, 70000, 100000, 150000, 200000, 300000, 500000, 800000)
AMOUNT_WEIGHTS = (3, 4, 5, 6, 3, 6, 3, 4, 2, 2, 1)
#: Device faults throughout; jams are added on a seeded schedule (see device_faults).
RANDOM_FAULTS = "double_pick:0.01,pick_fail:0.01,no_take:0.15,short:C:3"
#: Cassettes that jam once, and the range of the pick they jam after: on XFS4IoT a jammed unit
#: stays inoperative (only an exchange at the device clears it, and the endpoint has none), so
#: the rest of the run goes on without them.
JAMS = {"B": (20, 60), "D": (10, 30)}
#: Seconds between two staff loads of a cassette the device keeps out of service.
RETRY_INOPERATIVE = 60.0
#: The kiosk codes a request may meet by design; anything else in 4xx is unexpected.
EXPECTED_4XX = {
    "quote": {"not_dispensable", "insufficient_notes", "too_many_notes", "invalid_request"},
    "dispense": {"cassette_unavailable", "quote_expired"},
    "second_key": {"authorization_refused", "quote_used"},
}
LOCK_WORDS = ("terminal_busy", "database is locked", "deadlock", "lock timeout",
              "could not serialize", "lock not available", "timed out", "timeout")
WORKERS, BACKLOG, DISPENSE_LANES, DISPENSE_BACKLOG = 12, 24, 2, 4
STAFF_EVERY = 3.0                     # seconds between two staff looks at the cassettes
CLIENT_TIMEOUT = 30.0                 # a request slower than this is a timeout error
DRAIN_SECONDS = 60.0                  # the longest the end waits for requests in flight


class Soak:
    """Traffic, sampling and the per-minute report of one database's soak."""

    def __init__(self, service: ServiceProcess, device: DeviceProcess, kiosk: str, staff: str,
                 *, rate: float, seed: int, seconds: float, out=sys.stdout):
        self.service, self.device, self.out = service, device, out
        self.kiosk, self.staff = Client(service.base, kiosk), Client(service.base, staff)
        self.rate, self.seed, self.seconds = rate, seed, seconds
        self.lock = threading.Lock()
        self.minutes: list[Minute] = [Minute()]
        self.started = 0.0
        self.stop = threading.Event()
        self.arrivals: queue.Queue = queue.Queue(BACKLOG)
        self.to_dispense: queue.Queue = queue.Queue(DISPENSE_BACKLOG)
        self.unexpected: list[str] = []
        self.initial: dict[str, int] = {}
        self.tried: dict[str, float] = {}           # cassette -> when staff last loaded it

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> list[Minute]:
        self.started = time.monotonic()
        threads = [threading.Thread(target=self._arrive, name="arrivals")]
        threads += [threading.Thread(target=self._quote_worker, args=(n,), name=f"quote-{n}")
                    for n in range(WORKERS)]
        threads += [threading.Thread(target=self._dispense_lane, args=(n,), name=f"lane-{n}")
                    for n in range(DISPENSE_LANES)]
        threads += [threading.Thread(target=self._staff, name="staff")]
        for thread in threads:
            thread.daemon = True
            thread.start()
        ends = self.started + self.seconds
        for number in range(1, int(self.seconds // 60) + 2):
            boundary = min(self.started + 60 * number, ends)
            time.sleep(max(0.0, boundary - time.monotonic()))
            if boundary >= ends:
                break
            self._close_minute(number)
        self.stop.set()
        drained = time.monotonic() + DRAIN_SECONDS
        for thread in threads:
            thread.join(max(0.1, drained - time.monotonic()))
        if any(thread.is_alive() for thread in threads):
            self.unexpected.append("requests still in flight after the drain")
        self._close_minute(len(self.minutes))
        self.minutes.pop()                           # the empty minute after the last
        return self.minutes

    def _close_minute(self, number: int) -> None:
        with self.lock:
            minute = self.minutes[-1]
            minute.server_rss = tree_rss(self.service.pid())
            minute.device_rss = tree_rss(self.device.process.pid if self.device.process
                                         else None)
            self.minutes.append(Minute())
        print(minute.line(number), file=self.out, flush=True)

    def _minute(self) -> Minute:
        return self.minutes[-1]

    # -- the kiosk --------------------------------------------------------------------------

    def _arrive(self) -> None:
        """Schedule quote arrivals (Poisson, open loop) until the end; shed what cannot wait."""
        rng = random.Random(self.seed)
        due = time.monotonic()
        ends = self.started + self.seconds
        for _ in range(int(self.rate * self.seconds * 3) + 100):
            due += rng.expovariate(self.rate)
            if due >= ends or self.stop.is_set():
                return
            time.sleep(max(0.0, due - time.monotonic()))
            self._offer(self.arrivals, rng.random())

    def _quote_worker(self, number: int) -> None:
        rng = random.Random(self.seed * 1000 + number)
        for _ in self._taken(self.arrivals):
            self._one_quote(rng)

    def _one_quote(self, rng: random.Random) -> None:
        body: dict = {"amount": {"value": rng.choices(AMOUNTS, AMOUNT_WEIGHTS)[0],
                                 "currency": "CZK"},
                      "preference": rng.choice(WISHES)}
        draw = rng.random()
        if draw < 0.04:
            body["amount"]["value"] += 4321             # no mix pays it: not_dispensable
        elif draw < 0.06:
            body["colour"] = "blue"                     # unknown field: invalid_request
        elif draw < 0.26:
            body["hold"] = False                        # a preview while the customer browses
        elif draw < 0.36:
            body["alternatives"] = True
        status, quote = self._call(self.kiosk, "quote", "POST", f"{BASE}/quotes", body)
        if status != 201 or quote.get("status") == "preview":
            return
        if rng.random() < 0.1:
            self._call(self.kiosk, "read", "GET", f"{BASE}/quotes/{quote['id']}")
        if rng.random() < 0.5:                          # of the held ones: a third of all
            self._offer(self.to_dispense, (quote, rng.random() < 0.5))

    def _dispense_lane(self, number: int) -> None:
        rng = random.Random(self.seed * 2000 + number)
        for quote, complete in self._taken(self.to_dispense):
            body = authorized(quote) | {"complete_from_other_cassettes": complete}
            key = uuid.uuid4().hex
            status, dispense = self._call(self.kiosk, "dispense", "POST", f"{BASE}/dispenses",
                                          body, {"Idempotency-Key": key})
            if status != 201:
                continue
            with self.lock:
                minute = self._minute()
                minute.dispenses += 1
                minute.events[dispense.get("state", "?")] += 1
                if dispense.get("error"):
                    minute.events[dispense["error"]] += 1
            draw = rng.random()
            if draw < 0.05:
                status, again = self._call(self.kiosk, "replay", "POST", f"{BASE}/dispenses",
                                           body, {"Idempotency-Key": key})
                if status != 201 or again.get("id") != dispense["id"]:
                    self._unexpected(f"a replay of dispense {dispense['id']} gave {status}")
            elif draw < 0.08:
                status, _ = self._call(self.kiosk, "second_key", "POST", f"{BASE}/dispenses",
                                       body, {"Idempotency-Key": uuid.uuid4().hex})
                if status in (200, 201):
                    self._unexpected(f"quote {quote['id']} was paid again under a new key")
            elif draw < 0.15:
                self._call(self.kiosk, "read", "GET", f"{BASE}/dispenses/{dispense['id']}")

    def _offer(self, work: queue.Queue, item: object) -> None:
        """Put `item` on `work` for a worker, or count it shed when the backlog is full."""
        try:
            work.put_nowait(item)
        except queue.Full:
            with self.lock:
                self._minute().shed += 1

    def _taken(self, work: queue.Queue) -> Iterator:
        """Yield the items put on `work` as workers free up, until the soak stops."""
        while not self.stop.is_set():
            try:
                yield work.get(timeout=0.5)
            except queue.Empty:
                continue

    # -- staff ------------------------------------------------------------------------------

    def _staff(self) -> None:
        ends = self.started + self.seconds
        for _ in range(int(self.seconds / STAFF_EVERY) + 2):
            if self.stop.wait(STAFF_EVERY) or time.monotonic() >= ends:
                return
            status, cassettes = self._call(self.staff, "staff", "GET", f"{BASE}/cassettes")
            if status != 200:
                continue
            now = time.monotonic()
            for cassette in cassettes:
                self.initial.setdefault(cassette["id"], cassette["count"])
                low = cassette["count"] < 3 * max(cassette["low_threshold"], 5)
                down = (cassette["status"] != "ok"
                        and now - self.tried.get(cassette["id"], -1e9) > RETRY_INOPERATIVE)
                if low or down:
                    self.tried[cassette["id"]] = now
                    status, _ = self._call(self.staff, "staff", "PUT",
                                           f"{BASE}/cassettes/{cassette['id']}", {
                                               "count": self.initial[cassette["id"]],
                                               "reason": "soak replenishment"})
                    if status == 200:
                        with self.lock:
                            self._minute().replenishments += 1

    # -- one request, classified ------------------------------------------------------------

    def _call(self, client: Client, kind: str, method: str, path: str, body=None,
              headers=None) -> tuple[int, dict]:
        sent = time.monotonic()
        try:
            status, data = client.call(method, path, body, headers, timeout=CLIENT_TIMEOUT)
        except (TimeoutError, ConnectionError, OSError) as error:
            timed_out = "timed out" in str(error) or isinstance(error, TimeoutError)
            self._record(kind, "lock" if timed_out else "dropped", None,
                         f"{kind}: {type(error).__name__}: {error}")
            return 0, {}
        elapsed = time.monotonic() - sent
        data = data if isinstance(data, dict | list) else {"message": str(data)}
        code = data.get("code", "") if isinstance(data, dict) else ""
        text = json.dumps(data).lower() if status >= 400 else ""
        if any(word in text for word in LOCK_WORDS):
            outcome = "lock"
        elif status >= 500:
            outcome = "5xx"
        elif status >= 400:
            outcome = "4xx" if code in EXPECTED_4XX.get(kind, ()) else "4xx?"
        else:
            outcome = "ok"
        latency = elapsed if kind in ("quote", "dispense") and status < 500 else None
        note = f"{kind} {method} {path} -> {status} {code}" if outcome not in ("ok", "4xx") \
            else ""
        self._record(kind, outcome, latency, note, code if status >= 400 else "")
        return status, data

    def _record(self, kind: str, outcome: str, latency: float | None, note: str,
                code: str = "") -> None:
        with self.lock:
            minute = self._minute()
            minute.requests += 1
            minute.outcomes[outcome] += 1
            if code:
                minute.codes[f"{kind}:{code}"] += 1
            if latency is not None:
                minute.latencies[kind].append(latency)
            if note and len(self.unexpected) < 50:
                self.unexpected.append(note)

    def _unexpected(self, note: str) -> None:
        with self.lock:
            self._minute().outcomes["4xx?"] += 1
            self.unexpected.append(note)


def device_faults(rng: random.Random) -> str:
    """Return the device's fault list: the random faults and one seeded jam per cassette of
    JAMS (picks counted per cassette since the state began)."""
    jams = [f"jam:{cassette}:{rng.randint(*picks)}" for cassette, picks in JAMS.items()]
    return ",".join([RANDOM_FAULTS, *jams])


def audit(service: ServiceProcess) -> tuple[bool, str]:
    """Run `python -m kiosk_service audit` on the soak's database and device; return whether
    it is clean and what it printed."""
    run = subprocess.run([sys.executable, "-m", "kiosk_service", "audit", "--bins", "exact",
                          "--grace", "0"], cwd=ROOT, env=service.env, capture_output=True,
                         text=True, timeout=300)
    return run.returncode == 0, (run.stdout + run.stderr).strip()


def run(database: str, minutes: float, *, rate: float = 3.0, seed: int = 1,
        folder: Path | None = None, pg_server: str | None = None, out=sys.stdout,
        max_rss_ratio: float = 1.3, max_p99_ratio: float = 2.5) -> Result:
    """Soak `database` (sqlite | postgresql) for `minutes` at `rate` quotes per second; return
    the minutes and the verdicts (Result.failures empty when everything holds)."""
    with contextlib.ExitStack() as stack:
        folder, pg_server = stack.enter_context(workspace("soak", database, folder, pg_server))
        rng = random.Random(seed)
        prepared = prepare(new_database(database, folder, pg_server))
        device = DeviceProcess(folder, pace=0.1, take_after=0.3,
                               faults=device_faults(rng), seed=seed)
        service = ServiceProcess(folder, prepared.url, device.url, take_timeout=1.5,
                                 CASHMIX_QUOTE_HOLD_SECONDS="20")
        device.start()
        stack.callback(device.stop)
        service.start()
        stack.callback(service.stop)
        workers = children_by_parent().get(service.pid(), [])
        processes = f"server tree of {1 + len(workers)} processes"
        print(f"{database}: {minutes:g} min at {rate:g} quotes/s, seed {seed}; {processes}",
              file=out, flush=True)
        soak = Soak(service, device, prepared.kiosk, prepared.staff, rate=rate, seed=seed,
                    seconds=60 * minutes, out=out)
        done = soak.run()
        service.stop()
        audit_ok, audit_text = audit(service)
        log = service.log.read_text(errors="replace") if service.log.exists() else ""
        result = Result(database, done, audit_text, audit_ok, log.count("Traceback"),
                        processes, [])
        result.failures = verdicts(result, soak.unexpected, max_rss_ratio, max_p99_ratio)
        print(summary(result, soak.unexpected), file=out, flush=True)
        if result.tracebacks:
            print(log[-4000:], file=out)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    add_database_option(parser)
    parser.add_argument("--rate", type=float, default=3.0,
                        help="quote arrivals per second (open loop; bounded backlog)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-rss-ratio", type=float, default=1.3,
                        help="fail when the server's RSS grows more, first to last minute")
    parser.add_argument("--max-p99-ratio", type=float, default=2.5,
                        help="fail when a p99 grows more, first to last minute")
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 50 or not 0 < args.minutes <= 24 * 60:
        parser.error("--rate must be in (0, 50] and --minutes in (0, 1440]")
    databases = chosen_databases(args.database)
    os.environ.pop("CASHMIX_CRASH_AT", None)
    failed = False
    with postgres_if_needed(databases) as server:
        for database in databases:
            result = run(database, args.minutes, rate=args.rate, seed=args.seed,
                         pg_server=server, max_rss_ratio=args.max_rss_ratio,
                         max_p99_ratio=args.max_p99_ratio)
            failed |= not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
