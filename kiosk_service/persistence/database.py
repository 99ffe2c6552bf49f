"""Engines: SQLite (WAL, writers serialized by BEGIN IMMEDIATE) or PostgreSQL, by URL."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

#: Execution option a unit of work sets before its first statement when it will write.
WRITE_OPTION = "cashmix_write"
#: Execution option a unit of work sets before its only statement, a read (SQLite: no BEGIN).
READ_ONCE_OPTION = "cashmix_read_once"
#: Seconds a SQLite writer waits for another writer's transaction before giving up.
SQLITE_BUSY_TIMEOUT = 30
#: Seconds a pooled PostgreSQL connection may sit unused before its next checkout asks the
#: server whether it is still there (see _ping_after_idle).
PING_AFTER_IDLE_SECONDS = 1.0


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, stored naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def normalise_url(url: str) -> str:
    """Return `url` with PostgreSQL pointed at psycopg 3 (postgresql:// -> postgresql+psycopg://)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """Create the engine for `url`; SQLite gets WAL, foreign keys and immediate transactions.
    PostgreSQL pools `pool_size` connections, and `max_overflow` more at busy times."""
    url = normalise_url(url)
    # Statement parameters hold signatures and key hashes: never in a log line or an error
    # message, whatever the log level (SQL logging shows "[SQL parameters hidden]").
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                               hide_parameters=True)
        _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
        return engine
    # Last in, first out: the connection just returned is the one whose page cache is warm
    # (SQLite drops a connection's cache when another connection has written since its last
    # transaction, so rotating through the pool re-reads every page it needs). An in-memory
    # database has one connection per thread (SingletonThreadPool), which takes no such option.
    in_memory = make_url(url).database in (None, "", ":memory:")
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT,
                                              "check_same_thread": False},
                           hide_parameters=True, **({} if in_memory else {"pool_use_lifo": True}))

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself, so it can be BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Any) -> None:
        # A writing transaction takes the write lock at BEGIN (the SQLite form of a row lock on
        # the terminal), so it never has to upgrade a read snapshot; readers stay concurrent.
        # A lone read needs no BEGIN: one statement reads one snapshot (autocommit).
        options = connection.get_execution_options()
        if options.get(READ_ONCE_OPTION):
            return
        # Straight to the driver: every transaction begins here, and SQLAlchemy logs the BEGIN.
        connection.connection.driver_connection.execute(
            "BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")

    return engine


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    """Make a checkout ping the server first when its connection sat unused over `seconds`,
    and replace the connection when the ping fails.

    Connections go stale while idle (a server restart, a firewall's or the server's idle
    timeout); one in steady use is seen working every few milliseconds. pool_pre_ping would
    ping on every checkout: a round trip and about a millisecond of this machine's CPU on each
    quote, most of it the ping (bench/service.py). A connection that dies while in use still
    fails its statement, and SQLAlchemy then discards every connection pooled before it.
    """
    @event.listens_for(engine, "connect")
    def connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) <= seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool retries the checkout on a new connection.
            raise exc.DisconnectionError(f"the pooled connection is gone: {error}") from error


def is_sqlite(engine: Engine) -> bool:
    """Return True when `engine` talks to SQLite."""
    return engine.dialect.name == "sqlite"
