"""What the crash campaign, the soak and the fleet benchmark share: a throwaway PostgreSQL, the
service and the XFS4IoT device each in its own process, a prepared database and a signing
loopback client."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk_service.services.authorization import sign  # noqa: E402

TERMINAL = ROOT / "config" / "terminals" / "demo-czk.toml"
TERMINAL_ID = "demo-czk"
SECRET = "campaign-host-secret"
SECRET_ENV = "CASHMIX_DEMO_CZK_HOST_SECRET"
DATABASES = ("sqlite", "postgresql")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: Server settings of the campaigns' PostgreSQL: crash safety is the service's, not the disk's.
CAMPAIGN_SETTINGS = "-c fsync=off -c max_connections=200"


def postgres_bin() -> Path | None:
    """Return the bin directory of the newest PostgreSQL Debian installed, None for none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda initdb: [int(part) for part in initdb.parents[1].name.split(".")])
    return found[-1].parent if found else None


@contextlib.contextmanager
def postgres_server(settings: str = CAMPAIGN_SETTINGS) -> Iterator[str]:
    """Run a throwaway PostgreSQL on a free port with the server `settings` (as user postgres
    when root: it refuses to run as root, as .ci/run knows); yield its base URL (database
    `postgres`). Needs Debian's postgresql package: RuntimeError without it."""
    pg_bin = postgres_bin()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="cashmix-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres")
    port = free_port()
    subprocess.run(as_postgres + [str(pg_bin / "initdb"), "-D", str(folder / "data"), "-A",
                                  "trust", "-U", "postgres"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(as_postgres + [
        str(pg_bin / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"),
        "-w", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} {settings}",
        "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(as_postgres + [str(pg_bin / "pg_ctl"), "-D", str(folder / "data"),
                                      "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """Add --database (sqlite, postgresql, or both, the default) to `parser`."""
    parser.add_argument("--database", choices=(*DATABASES, "both"), default="both")


def chosen_databases(choice: str) -> tuple[str, ...]:
    """Return the databases `--database CHOICE` runs on, in order."""
    return DATABASES if choice == "both" else (choice,)


def postgres_if_needed(databases: Iterable[str]) -> AbstractContextManager[str | None]:
    """Return a throwaway PostgreSQL (postgres_server) when `databases` include it, else a
    context that yields None."""
    return postgres_server() if "postgresql" in databases else contextlib.nullcontext()


@contextlib.contextmanager
def workspace(name: str, database: str, folder: Path | None,
              pg_server: str | None) -> Iterator[tuple[Path, str | None]]:
    """Yield the folder and PostgreSQL base URL of one run on `database`: `folder`, else a
    temporary one removed after; `pg_server`, else a throwaway server when the run is on
    postgresql (None on sqlite)."""
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix=f"cashmix-{name}-{database}-")))
        if database == "postgresql" and pg_server is None:
            pg_server = stack.enter_context(postgres_server())
        yield folder, pg_server


def new_database(kind: str, folder: Path, server: str | None) -> str:
    """Return the URL of a new, empty database: a SQLite file in `folder`, or a fresh
    database on the PostgreSQL `server`."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'cashmix.sqlite'}"
    return create_database(server, f"campaign_{uuid.uuid4().hex[:12]}")


def create_database(server: str, name: str) -> str:
    """Create the database `name` on the PostgreSQL `server` (a base URL); return its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{server}/postgres".replace("postgresql://",
                                                        "postgresql+psycopg://"),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"


@dataclass
class Prepared:
    """A migrated database holding the demo terminal, and its keys."""

    url: str
    kiosk: str
    staff: str


def prepare(url: str) -> Prepared:
    """Migrate `url`, import the demo terminal and create a kiosk and a staff key."""
    from kiosk_service import create_app
    from kiosk_service.persistence.migrate import upgrade_database
    from kiosk_service.records import Role
    from kiosk_service.services.keys import create_key
    from kiosk_service.services.terminals import import_terminal
    from kiosk_service.terminal_files import load_terminal_file

    deps = create_app({"DATABASE_URL": url, "RECOVER_ON_START": False,
                       "LOG_LEVEL": "WARNING"}).extensions["cashmix"]
    try:
        upgrade_database(deps.engine)
        import_terminal(load_terminal_file(TERMINAL), uow=deps.unit_of_work(), clock=deps.clock,
                        actor="campaign")
        kiosk = create_key(Role.KIOSK, TERMINAL_ID, uow=deps.unit_of_work(), clock=deps.clock)
        staff = create_key(Role.STAFF, TERMINAL_ID, uow=deps.unit_of_work(), clock=deps.clock)
    finally:
        deps.close()
    return Prepared(url, kiosk, staff)


class DeviceProcess:
    """`kiosk-sim xfs4iot` with a state file, on a fixed port across restarts."""

    def __init__(self, folder: Path, *, dialect: str = "2024-3", pace: float = 0.1,
                 take_after: float = 1.0, faults: str = "", seed: int = 0,
                 terminal: Path = TERMINAL):
        self.folder, self.dialect, self.pace, self.terminal = folder, dialect, pace, terminal
        self.take_after, self.faults, self.seed = take_after, faults, seed
        self.port = free_port()
        self.state = folder / "device.json"
        self.process: subprocess.Popen | None = None
        self.log = folder / "device.log"

    @property
    def url(self) -> str:
        """The service's dispenser URL for this device."""
        return (f"xfs4iot://127.0.0.1:{self.port}/xfs4iot/v1.0?dialect={self.dialect}"
                "&timeout=20")

    def start(self, faults: str | None = None) -> None:
        """Start the endpoint (with `faults` this time, else the default) and wait for it."""
        command = [sys.executable, "-m", "sim", "xfs4iot", "--terminal", str(self.terminal),
                   "--port", str(self.port), "--dialect", self.dialect, "--state",
                   str(self.state), "--real-time", "--pace", str(self.pace), "--take-after",
                   str(self.take_after), "--seed", str(self.seed),
                   "--faults", self.faults if faults is None else faults]
        deadline = time.monotonic() + 30
        while True:
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                                stderr=log)
            if wait_port(self.port, self.process, 20):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the device did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)           # the port may still be held by the killed process

    def kill(self) -> None:
        """Die at once, mid-command if one runs (a power cut of the device's PC)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class ServiceProcess:
    """`python -m kiosk_service serve` on a fixed port, restarted after each kill."""

    def __init__(self, folder: Path, database_url: str, device_url: str, *,
                 take_timeout: float = 1.0, threads: int = 8, **settings: str):
        self.folder = folder
        self.port = free_port()
        self.threads = threads
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASHMIX_")}
        self.env = env | {
            "DATABASE_URL": database_url, SECRET_ENV: SECRET, "CASHMIX_LOG_LEVEL": "WARNING",
            "CASHMIX_DISPENSERS": "{" + f'"{TERMINAL_ID}" = "{device_url}"' + "}",
            "CASHMIX_TAKE_TIMEOUT_SECONDS": str(take_timeout),
            "CASHMIX_QUOTE_HOLD_SECONDS": "60", "PYTHONPATH": str(ROOT)} | settings
        self.process: subprocess.Popen | None = None
        self.log = folder / "service.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, crash_at: str = "") -> float | None:
        """Start the service; return the seconds until /healthz answered (start-up and
        recovery included), or None when it died before (a crash point in recovery)."""
        env = self.env | ({"CASHMIX_CRASH_AT": crash_at} if crash_at else {})
        started = time.monotonic()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kiosk_service", "serve", "--port", str(self.port),
                 "--threads", str(self.threads)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = started + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if self.process.returncode == -signal.SIGKILL:
                    return None
                raise RuntimeError(f"the service exited {self.process.returncode}: "
                                   f"{self.log.read_text()[-3000:]}")
            try:
                status, _ = Client(self.base).call("GET", "/healthz", timeout=2)
                if status in (200, 503):
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("the service did not start in time")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_exit(self, seconds: float) -> None:
        """Give a process that is dying (a crash point fired) `seconds` to be gone."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            if self.process is not None:
                self.process.wait(seconds)

    def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def pid(self) -> int | None:
        return self.process.pid if self.alive else None


class Client:
    """A JSON client of one base URL; OSError when the service is gone."""

    def __init__(self, base: str, key: str | None = None):
        self.base, self.key = base, key
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)

    def call(self, method: str, path: str, body=None, headers: dict | None = None,
             timeout: float = 60) -> tuple[int, object]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            sent = {"Content-Type": "application/json"} | (headers or {})
            if self.key:
                sent["Authorization"] = f"Bearer {self.key}"
            connection.request(method, path, None if body is None else json.dumps(body),
                               sent)
            response = connection.getresponse()
            raw = response.read()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw.decode(errors="replace")
            return response.status, data
        except (http.client.HTTPException, TimeoutError) as error:
            raise ConnectionError(str(error)) from error
        finally:
            connection.close()


def authorized(quote: dict, *, expires_in: int = 120, secret: str = SECRET,
               terminal: str = TERMINAL_ID) -> dict:
    """Return the dispense body for `quote` on `terminal`, signed with the host's `secret` as
    the bank's host would."""
    expires = int(time.time()) + expires_in
    signature = sign(secret, terminal, quote["id"], quote["amount"]["value"],
                     quote["amount"]["currency"], expires)
    return {"quote_id": quote["id"], "authorization": {"expires_at": expires,
                                                       "signature": signature}}


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of `values`, 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def wait_port(port: int, process: subprocess.Popen, seconds: float) -> bool:
    """Return True once something listens on `port` of 127.0.0.1, False when `process`
    exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False
