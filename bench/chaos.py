"""Crash campaign: kill the service (SIGKILL) and its XFS4IoT device at random points and prove,
after every restart, that no note is lost and no quote is paid twice.

    python bench/chaos.py --kills 200 --database both --seed 1

The service (`python -m kiosk_service serve`, SQLite or PostgreSQL) and the device
(`python -m sim xfs4iot --state FILE`, mechanics at a tenth of a real dispenser's pace) run in
their own processes; a loopback client sends quotes, signed dispenses and replenishments.
Each round ends in one kill of the service, chosen by the seeded generator:

- crash point: the service is started with CASHMIX_CRASH_AT (kiosk_service/crash_points.py)
  and dies by itself inside a database commit, right after one, or before, during or after a
  device operation (recovery at the next start-up is armed too);
- timer: SIGKILL after a random delay while requests run;
- device: the device process is killed mid-command and restarted (the service's driver
  reconnects), then the service is killed between requests;
- disconnect: the device is restarted with `disconnect:N`, dropping the connection mid-dispense.

After every restart (recovery done) and at the end, the ledger check
(kiosk_service/services/audit.py, bins compared exactly, no grace for dispenses in flight)
must find nothing; the dispense interrupted by a kill is sent again with its Idempotency-Key,
and once more with a new key, which must be refused. Prints kills survived, dispenses, notes
moved, discrepancies and the restart-to-ready time (start-up and recovery) p50/p99; exit 1 on
any discrepancy.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
    TERMINAL_ID,
    Client,
    DeviceProcess,
    ServiceProcess,
    add_database_option,
    authorized,
    chosen_databases,
    new_database,
    percentile,
    postgres_if_needed,
    prepare,
    workspace,
)

#: Crash points (kiosk_service/crash_points.py) and how often each is drawn.
POINTS = {
    "db.commit": 4, "db.committed": 4,
    "device.dispense.before": 2, "device.dispense.during": 3, "device.dispense.after": 3,
    "device.present.before": 2, "device.present.during": 2, "device.present.after": 3,
    "device.wait_for_take.during": 2, "device.wait_for_take.after": 2,
    "device.retract.before": 1, "device.retract.after": 1,
    "device.reject.after": 1, "device.reset.after": 1,
    "device.load.before": 1, "device.load.after": 2,
}
#: How each round's kill comes, and how often.
MODES = {"crash_point": 5, "timer": 3, "device": 1, "disconnect": 1}
#: The device's own faults throughout (seeded): picks that fail, customers who walk away,
#: power cuts mid-dispense.
DEVICE_FAULTS = "double_pick:0.02,pick_fail:0.02,no_take:0.1,power_loss:0.02"
AMOUNTS = (30000, 50000, 80000, 120000, 200000, 350000, 500000)
PREFERENCES = ({"kind": "fewest"}, {"kind": "mixed"}, {"kind": "small"},
               {"kind": "counts", "counts": {"50000": 1, "20000": 1, "10000": 1}})
#: Requests a crash-point round sends at most before the service is killed anyway.
ROUND_REQUESTS = 24


@dataclass
class Figures:
    """What one campaign measured."""

    database: str
    kills: int = 0
    kills_by: Counter = field(default_factory=Counter)
    device_kills: int = 0
    disconnects: int = 0
    audits: int = 0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    dispenses: int = 0
    completed: int = 0
    recovered: int = 0
    notes_moved: int = 0
    replays: int = 0
    refused_second_keys: int = 0
    restarts: list[float] = field(default_factory=list)
    discrepancies: list[str] = field(default_factory=list)

    def report(self) -> str:
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.kills_by.items()))
        lines = [
            f"{self.database}: {self.kills} service kills survived ({by}); "
            f"{self.device_kills} device kills, {self.disconnects} dropped connections",
            f"  dispenses {self.dispenses} recorded, {self.completed} complete, "
            f"{self.recovered} settled by recovery; notes moved {self.notes_moved}",
            f"  requests {self.requests} ({_statuses(self.statuses)}); interrupted dispenses "
            f"sent again {self.replays}, second keys refused {self.refused_second_keys}",
            f"  ledger checks {self.audits}; discrepancies {len(self.discrepancies)}",
            f"  restart to ready (start-up + recovery): p50 {percentile(self.restarts, 50):.2f} s,"
            f" p99 {percentile(self.restarts, 99):.2f} s, max {max(self.restarts or [0]):.2f} s"
            f" over {len(self.restarts)} restarts"]
        lines += [f"  - {problem}" for problem in self.discrepancies[:30]]
        return "\n".join(lines)


class Campaign:
    """One database's campaign: processes, client, auditor and the seeded plan."""

    def __init__(self, database: str, folder: Path, *, seed: int, pg_server: str | None,
                 verbose: bool = False, timer_max: float = 2.0,
                 round_requests: int = ROUND_REQUESTS):
        self.verbose, self.timer_max, self.round_requests = verbose, timer_max, round_requests
        self.rng = random.Random(seed)
        self.folder = folder
        self.figures = Figures(database)
        prepared = prepare(new_database(database, folder, pg_server))
        self.device = DeviceProcess(folder, faults=DEVICE_FAULTS, seed=seed)
        self.service = ServiceProcess(folder, prepared.url, self.device.url)
        self.kiosk_key, self.staff_key = prepared.kiosk, prepared.staff
        self.database_url = prepared.url
        self.pending: tuple[dict, str] | None = None     # a dispense a kill interrupted
        self._auditor = None

    # -- the campaign -----------------------------------------------------------------------

    def run(self, kills: int) -> Figures:
        self.device.start()
        try:
            for round_number in range(1, kills + 1):
                self._round(round_number)
            self._restart("", "final")
            self._audit("the end")
        finally:
            self.service.stop()
            self.device.stop()
            if self._auditor is not None:
                self._auditor.close()
        self._count_dispenses()
        return self.figures

    def _round(self, number: int) -> None:
        mode = _draw(self.rng, MODES)
        spec = ""
        if mode == "crash_point":
            point = _draw(self.rng, POINTS)
            spec = f"{point}:{self.rng.randint(1, 3)}"
            if point.endswith(".during"):
                spec += f":{self.rng.uniform(0.0, 0.15):.3f}"
        if mode == "disconnect":
            self.device.kill()
            self.device.start(faults=f"{DEVICE_FAULTS},disconnect:{self.rng.randint(1, 2)}")
            self.figures.disconnects += 1
        if self.verbose:
            print(f"round {number}: {mode} {spec}", flush=True)
        if not self._restart(spec, f"round {number} ({mode} {spec})".strip()):
            return
        self._replay_pending()
        if mode == "crash_point":
            if self._traffic(self.round_requests, replenish_first=spec.startswith("device.load")):
                self.service.wait_exit(5.0)
            kind = "crash point" if not self.service.alive else "point not reached"
            if not self.service.alive:
                self.figures.kills_by[spec.split(":")[0]] += 1
            if self.verbose:
                print(f"  {kind}; {self.figures.statuses}", flush=True)
            self._kill(kind)
        elif mode in ("timer", "disconnect"):
            self._with_traffic(lambda: time.sleep(self.rng.uniform(0.05, self.timer_max)))
            self._kill("timer")
        else:
            self._with_traffic(self._kill_device)
            self._audit(f"round {number}: after the device restarted, service alive")
            self._kill("idle")

    def _restart(self, spec: str, when: str) -> bool:
        """Start the service (crash points `spec`); False when it died in recovery."""
        seconds = self.service.start(spec)
        if seconds is None:
            self.figures.kills += 1
            self.figures.kills_by["in recovery"] += 1
            self._audit(f"{when}: the service died in recovery", device=False)
            return False
        self.figures.restarts.append(seconds)
        self._audit(f"{when}: after recovery")
        return True

    def _kill(self, kind: str) -> None:
        if kind != "crash point":
            self.figures.kills_by[kind] += 1
        self.service.kill()
        self.figures.kills += 1

    def _kill_device(self) -> None:
        time.sleep(self.rng.uniform(0.05, 1.0))
        self.device.kill()
        self.figures.device_kills += 1
        time.sleep(self.rng.uniform(0.0, 1.0))
        self.device.start()
        time.sleep(0.3)

    # -- traffic ----------------------------------------------------------------------------

    def _with_traffic(self, action) -> None:
        stop = threading.Event()
        worker = threading.Thread(target=self._traffic, args=(10_000,),
                                  kwargs={"stop": stop})
        worker.start()
        try:
            action()
        finally:
            stop.set()
            if self.service.alive:
                worker.join(60)
        if self.service.alive:
            return
        worker.join(60)

    def _traffic(self, requests: int, *, stop: threading.Event | None = None,
                 replenish_first: bool = False) -> bool:
        """Send up to `requests` requests; return True when the service stopped answering."""
        kiosk = Client(self.service.base, self.kiosk_key)
        staff = Client(self.service.base, self.staff_key)
        try:
            if replenish_first:
                self._replenish(staff, force=True)
            for n in range(requests):
                if stop is not None and stop.is_set() or not self.service.alive:
                    return False
                if n % 8 == 7:
                    self._replenish(staff)
                    continue
                self._pay(kiosk)
        except OSError:
            return True                 # the service died: the round's kill
        return False

    def _call(self, client: Client, method: str, path: str, body=None, headers=None):
        status, data = client.call(method, path, body, headers)
        self.figures.requests += 1
        self.figures.statuses[status] += 1
        return status, data

    def _pay(self, kiosk: Client) -> None:
        base = f"/api/v1/terminals/{TERMINAL_ID}"
        status, quote = self._call(kiosk, "POST", f"{base}/quotes", {
            "amount": {"value": self.rng.choice(AMOUNTS), "currency": "CZK"},
            "preference": self.rng.choice(PREFERENCES)})
        if status != 201:
            return
        body, key = authorized(quote), uuid.uuid4().hex
        self.pending = (body, key)
        status, dispense = self._call(kiosk, "POST", f"{base}/dispenses", body,
                                      {"Idempotency-Key": key})
        self.pending = None
        if status == 201 and dispense["state"] == "presented" and self.rng.random() < 0.5:
            self._call(kiosk, "POST", f"{base}/dispenses/{dispense['id']}/retract")

    def _replenish(self, staff: Client, *, force: bool = False) -> None:
        base = f"/api/v1/terminals/{TERMINAL_ID}/cassettes"
        status, cassettes = self._call(staff, "GET", base)
        if status != 200:
            return
        for cassette in cassettes:
            low = cassette["count"] < 3 * max(cassette["low_threshold"], 5)
            if low or cassette["status"] != "ok" or force:
                self._call(staff, "PUT", f"{base}/{cassette['id']}", {
                    "count": min(cassette["capacity"] or 1000, 600),
                    "reason": "campaign replenishment"})
                if force:
                    return

    def _replay_pending(self) -> None:
        """Send the dispense a kill interrupted again (same key: at most one payout), then
        with a new key (refused: the quote and its authorization are spent)."""
        if self.pending is None:
            return
        body, key = self.pending
        self.pending = None
        kiosk = Client(self.service.base, self.kiosk_key)
        path = f"/api/v1/terminals/{TERMINAL_ID}/dispenses"
        with contextlib.suppress(OSError):
            status, first = self._call(kiosk, "POST", path, body, {"Idempotency-Key": key})
            self.figures.replays += 1
            status, second = self._call(kiosk, "POST", path, body,
                                        {"Idempotency-Key": uuid.uuid4().hex})
            if status in (200, 201):
                self.figures.discrepancies.append(
                    f"quote {body['quote_id']} was paid again under a new key: {second}")
            elif status in (403, 409):
                self.figures.refused_second_keys += 1

    # -- the ledger -------------------------------------------------------------------------

    def _audit(self, when: str, *, device: bool = True) -> None:
        from kiosk_service.services.audit import BinCheck, audit_terminal

        deps = self._deps()
        audit = audit_terminal(TERMINAL_ID, uow=deps.unit_of_work(), clock=deps.clock,
                               devices=deps.devices if device else None,
                               grace=timedelta(0) if device else timedelta(minutes=10),
                               bins=BinCheck.EXACT)
        self.figures.audits += 1
        problems = list(audit.discrepancies)
        if device and not audit.device_compared:
            problems.append("the device could not be compared with the books")
        self.figures.discrepancies += [f"{when}: {p}" for p in problems]

    def _deps(self):
        if self._auditor is None:
            from kiosk_service import create_app

            self._auditor = create_app({
                "DATABASE_URL": self.database_url, "RECOVER_ON_START": False,
                "LOG_LEVEL": "WARNING", "DISPENSERS": {TERMINAL_ID: self.device.url}},
            ).extensions["cashmix"]
        return self._auditor

    def _count_dispenses(self) -> None:
        deps = self._deps()
        with deps.unit_of_work() as uow:
            dispenses = uow.dispenses.all(TERMINAL_ID)
            recovered = uow.journal.all(TERMINAL_ID, kinds=["dispense_recovered"])
        self.figures.dispenses = len(dispenses)
        self.figures.completed = sum(d.outcome == "complete" for d in dispenses)
        self.figures.notes_moved = sum(n.picked for d in dispenses for n in d.notes)
        self.figures.recovered = len(recovered)
        deps.close()
        self._auditor = None


def run(database: str, kills: int, seed: int, *, folder: Path | None = None,
        pg_server: str | None = None, verbose: bool = False,
        timer_max: float = 2.0, round_requests: int = ROUND_REQUESTS) -> Figures:
    """Run one campaign of `kills` service kills on `database` (sqlite | postgresql);
    `timer_max` is the longest a timer kill waits (seconds), `round_requests` the most
    requests a crash-point round sends before the service is killed anyway."""
    with workspace("chaos", database, folder, pg_server) as (folder, pg_server):
        return Campaign(database, folder, seed=seed, pg_server=pg_server, verbose=verbose,
                        timer_max=timer_max, round_requests=round_requests).run(kills)


def _draw(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _statuses(statuses: Counter) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200, help="service kills per database")
    add_database_option(parser)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print each round's kill")
    args = parser.parse_args(argv)
    databases = chosen_databases(args.database)
    failed = False
    with postgres_if_needed(databases) as server:
        for database in databases:
            started = time.monotonic()
            figures = run(database, args.kills, args.seed, pg_server=server,
                          verbose=args.verbose)
            print(figures.report())
            print(f"  wall time {time.monotonic() - started:.0f} s", flush=True)
            failed |= bool(figures.discrepancies)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
