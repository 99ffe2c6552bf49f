"""Benchmark what authenticating a request costs now that no process caches keys; prints figures.

Keys used to be cached per process for 30 s, so a revoked key kept working that long. Now every
request reads its key and the failure counters in one statement. This measures, on a fresh
SQLite database (or the PostgreSQL one given by --database-url):

1. a cache hit as the old cache served it (a dict read and the secret's hash compared);
2. the old uncached read (an ORM session.get of the key row);
3. authenticate() as it is now (one statement: key row + failure counters);
4. a whole GET /api/v1/terminals/{tid} through the Flask test client.

    python bench/auth.py [--requests 5000] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import hmac
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kiosk_service import create_app
from kiosk_service.persistence.migrate import upgrade_database
from kiosk_service.records import Role
from kiosk_service.services.keys import authenticate, create_key, hash_secret, key_id_of
from kiosk_service.services.terminals import import_terminal
from kiosk_service.terminal_files import load_terminal_file

ROOT = Path(__file__).resolve().parent.parent

TERMINAL = "demo-czk"


def timed(action: Callable[[], object], count: int) -> tuple[float, float]:
    """Return (p50, p99) in microseconds of `count` calls, after a short warm-up."""
    for _ in range(min(200, count)):
        action()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cashmix-bench-auth-")
    url = args.database_url or f"sqlite:///{folder}/cashmix.sqlite"
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "RECOVER_ON_START": False})
    deps = app.extensions["cashmix"]
    upgrade_database(deps.engine)
    import_terminal(load_terminal_file(ROOT / "config" / "terminals" / f"{TERMINAL}.toml"),
                    uow=deps.unit_of_work(), clock=deps.clock)
    key = create_key(Role.STAFF, TERMINAL, uow=deps.unit_of_work(), clock=deps.clock,
                     label="bench")
    with deps.unit_of_work() as uow:
        stored = uow.keys.get(key_id_of(key))
    cache = {stored.id: stored}
    secret = key.split("_", 2)[2]

    def cache_hit():
        found = cache[stored.id]
        return hmac.compare_digest(found.secret_hash, hash_secret(secret))

    def orm_read():
        with deps.unit_of_work() as uow:
            return uow.keys.get(stored.id)

    def now_authenticate():
        return authenticate(key, uow=deps.unit_of_work(), clock=deps.clock,
                            address="127.0.0.1", limits=deps.auth_limits)

    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}

    def status_request():
        return client.get(f"/api/v1/terminals/{TERMINAL}", headers=headers)

    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"Authentication cost on {database}, {args.requests} calls each (microseconds)")
    print(f"{'':48} {'p50':>8} {'p99':>8}")
    for name, action, count in [
            ("old cache hit (dict + hash compare)", cache_hit, args.requests),
            ("old uncached read (ORM session.get)", orm_read, args.requests),
            ("authenticate() now (key + counters, 1 stmt)", now_authenticate, args.requests),
            ("GET /terminals/{tid} now, whole request", status_request, args.requests // 2)]:
        p50, p99 = timed(action, count)
        print(f"{name:48} {p50:8.1f} {p99:8.1f}")
    deps.close()


if __name__ == "__main__":
    main()
