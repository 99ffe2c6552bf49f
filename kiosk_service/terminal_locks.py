"""Terminal locks across processes: one device cycle at a time per terminal, whoever drives it.

A terminal's dispenser is one machine. Threads of one process queue on the device's own lock
(devices.py); processes queue here, on something every process of the deployment shares:

- PostgreSQL: a session-level advisory lock (`pg_advisory_lock`) on a connection held for the
  whole cycle. The server releases it when that connection ends, so a process that dies
  (killed, host gone once TCP keepalive notices) frees its terminals without a lease to wait
  out, and nothing is written per cycle.
- SQLite: an OS lock (`flock`, `msvcrt.locking` on Windows) on a file per terminal beside
  the database file. A lock row under BEGIN IMMEDIATE would need a lease, a heartbeat during
  the customer's take and a guess about stale owners, and would queue behind every writer of
  the database; the OS drops a file lock the moment its process dies, as PostgreSQL drops an
  advisory lock. Every process of a SQLite deployment shares the machine (SQLite's WAL needs
  it), so an OS lock reaches them all. The owner ("host:pid:instance") is written into the
  file for whoever finds the terminal busy.
- in-memory SQLite: one process by definition, nothing to share.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kiosk_service.errors import TerminalBusy
from kiosk_service.hardware.clock import Clock

#: Seconds between two tries of a file lock another process holds.
FILE_LOCK_POLL_SECONDS = 0.02
#: PostgreSQL's SQLSTATE for a lock wait that ran past lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


class HeldLock(Protocol):
    """A terminal lock this process holds until `release`."""

    def release(self) -> None:
        """Release the lock (harmless twice)."""
        ...


class TerminalLocks(Protocol):
    """Where a deployment's processes queue for a terminal."""

    def acquire(self, terminal_id: str, *, timeout: float) -> HeldLock:
        """Wait up to `timeout` seconds for the terminal; raises TerminalBusy
        (`terminal_busy`) when another process still holds it then."""
        ...


def advisory_key(terminal_id: str) -> int:
    """Return the terminal's advisory lock key: 64 bits of a hash, signed as PostgreSQL's
    bigint (collisions among 10^5 terminals: about 3 in 10^10)."""
    digest = hashlib.sha256(b"cashmix-terminal:" + terminal_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLocks:
    """PostgreSQL advisory locks, one pooled connection per held lock."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def acquire(self, terminal_id: str, *, timeout: float) -> HeldLock:
        key = advisory_key(terminal_id)
        connection = self.engine.connect()
        try:
            with connection.begin():
                # SET LOCAL: the timeout ends with this transaction; the lock (session
                # level) outlives it.
                connection.execute(text(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}"))
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        except DBAPIError as error:
            connection.close()
            if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise _busy(terminal_id, timeout, None) from error
            raise
        except BaseException:
            connection.close()
            raise
        return _AdvisoryHold(connection, key)


class _AdvisoryHold:
    def __init__(self, connection: Any, key: int):
        self.connection, self.key = connection, key

    def release(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            with connection.begin():
                released = connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                              {"key": self.key}).scalar()
        except DBAPIError:
            released = False
        if not released:
            # Never hand a connection that may still hold the lock back to the pool: closing
            # the session is what releases it for sure.
            connection.invalidate()
        connection.close()


class FileLocks:
    """OS file locks in `directory`, one file per terminal."""

    def __init__(self, directory: Path, *, clock: Clock, owner: str):
        self.directory, self.clock, self.owner = directory, clock, owner

    def path_for(self, terminal_id: str) -> Path:
        """Return the lock file of a terminal (its id hashed: any id makes a file name)."""
        return self.directory / f"{hashlib.sha256(terminal_id.encode()).hexdigest()[:32]}.lock"

    def acquire(self, terminal_id: str, *, timeout: float) -> HeldLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(terminal_id)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = self.clock.now() + timedelta(seconds=timeout)
        try:
            while not _try_lock(fd):
                if self.clock.now() >= deadline:
                    raise _busy(terminal_id, timeout, _read_owner(path))
                self.clock.sleep(FILE_LOCK_POLL_SECONDS)
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, self.owner.encode())
        except BaseException:
            os.close(fd)
            raise
        return _FileHold(fd)


class _FileHold:
    def __init__(self, fd: int):
        self.fd: int | None = fd

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            _unlock(fd)
            os.close(fd)


class ProcessLocks:
    """Nothing to share: an in-memory database has one process."""

    def acquire(self, terminal_id: str, *, timeout: float) -> HeldLock:
        return _NoHold()


class _NoHold:
    def release(self) -> None:
        return None


def terminal_locks(engine: Engine, *, clock: Clock, owner: str) -> TerminalLocks:
    """Return the terminal locks for the engine's database (see the module docstring)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLocks(engine)
    database = make_url(str(engine.url)).database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return ProcessLocks()
    return FileLocks(Path(f"{database}.locks"), clock=clock, owner=owner)


def _busy(terminal_id: str, timeout: float, holder: str | None) -> TerminalBusy:
    details: dict[str, Any] = {"terminal": terminal_id, "waited_seconds": timeout}
    if holder:
        details["holder"] = holder
    return TerminalBusy(f"Terminal {terminal_id} is busy: another process drives its dispenser. "
                        "Try again shortly.", **details)


def _read_owner(path: Path) -> str | None:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text(encoding="utf-8").strip() or None
    return None


if os.name == "nt":     # pragma: no cover - Windows kiosks
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock, not lockf: flock locks belong to the open file, so two apps (or pools) in
        # one process exclude each other too; lockf's are per process and would not.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
