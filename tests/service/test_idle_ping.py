"""A pooled PostgreSQL connection that went stale while idle is replaced at checkout, and one
in steady use is not pinged (database._ping_after_idle)."""

from __future__ import annotations

from sqlalchemy import text

from kiosk_service.persistence import database
from kiosk_service.persistence.database import build_engine
from tests.service.conftest import POSTGRES_URL, needs_postgres


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


@needs_postgres
def test_a_connection_killed_while_idle_is_replaced_at_checkout(monkeypatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = build_engine(POSTGRES_URL, pool_size=1, max_overflow=0)
    try:
        killed = _backend(engine)
        other = build_engine(POSTGRES_URL)
        with other.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                      {"pid": killed}).scalar_one()
        other.dispose()
        assert _backend(engine) != killed     # the checkout's ping saw it gone
    finally:
        engine.dispose()


@needs_postgres
def test_a_connection_in_steady_use_is_not_pinged(monkeypatch) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 60.0)
    engine = build_engine(POSTGRES_URL, pool_size=1, max_overflow=0)
    try:
        pings = []
        dialect_ping = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping",
                            lambda connection: pings.append(1) or dialect_ping(connection))
        first = _backend(engine)
        assert [_backend(engine) for _ in range(5)] == [first] * 5
        assert pings == []
    finally:
        engine.dispose()
