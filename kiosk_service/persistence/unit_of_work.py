"""The unit of work: one transaction, its repositories, rolled back unless committed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker

from kiosk_service.persistence.credentials import ApiKeyRepository, AuthFailureRepository
from kiosk_service.persistence.database import (
    READ_ONCE_OPTION,
    SQLITE_BUSY_TIMEOUT,
    WRITE_OPTION,
)
from kiosk_service.persistence.repositories.authorizations import AuthorizationRepository
from kiosk_service.persistence.repositories.dispenses import DispenseRepository
from kiosk_service.persistence.repositories.idempotency import IdempotencyRepository
from kiosk_service.persistence.repositories.journal import JournalRepository
from kiosk_service.persistence.repositories.quotes import QuoteRepository
from kiosk_service.persistence.repositories.terminals import TerminalRepository


@cache
def _can_pipeline(dialect: Dialect) -> bool:
    """Return True when the dialect's driver is psycopg and its libpq has pipeline mode."""
    return dialect.driver == "psycopg" and dialect.loaded_dbapi.Pipeline.is_supported()


class SqlUnitOfWork:
    """`with uow: ... uow.commit()`; leaving the block without commit rolls back.

    `writers` (SQLite only) queues this process's writing transactions before they meet
    SQLite's lock, whose blocked writers poll with sleeps of up to 100 ms (tail latency).
    BEGIN IMMEDIATE still serializes the writers of every process.
    """

    terminals: TerminalRepository
    quotes: QuoteRepository
    dispenses: DispenseRepository
    idempotency: IdempotencyRepository
    authorizations: AuthorizationRepository
    journal: JournalRepository
    keys: ApiKeyRepository
    auth_failures: AuthFailureRepository

    def __init__(self, sessions: sessionmaker[Session], writers: threading.Lock | None = None):
        self._sessions = sessions
        self._writers = writers
        self._holds_writers = False
        dialect = sessions.kw["bind"].dialect
        self._sqlite = dialect.name == "sqlite"
        self._pipelined = _can_pipeline(dialect)
        self.session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.session = session = self._sessions()
        self.terminals = TerminalRepository(session, self.lock_for_writing,
                                            locked_at_begin=self._sqlite)
        self.quotes = QuoteRepository(session)
        self.dispenses = DispenseRepository(session)
        self.idempotency = IdempotencyRepository(session)
        self.authorizations = AuthorizationRepository(session)
        self.journal = JournalRepository(session)
        self.keys = ApiKeyRepository(session)
        self.auth_failures = AuthFailureRepository(session)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        assert self.session is not None
        try:
            self.session.close()            # rolls back what was not committed
        finally:
            self.session = None
            if self._holds_writers:
                self._holds_writers = False
                self._writers.release()

    def lock_for_writing(self) -> None:
        """Say, before the first statement, that this transaction writes (SQLite: take the
        write lock at BEGIN rather than upgrade a read snapshot, which can fail)."""
        assert self.session is not None
        if self.session.in_transaction():
            raise RuntimeError("lock_for_writing() must come before the first statement")
        if self._writers is not None and not self._holds_writers:
            self._holds_writers = self._writers.acquire(timeout=SQLITE_BUSY_TIMEOUT)
        self.session.connection(execution_options={WRITE_OPTION: True})

    def read_once(self) -> None:
        """Say, before the first statement, that this unit of work sends one statement, a read,
        and nothing more: it runs without BEGIN and ROLLBACK (a lone statement reads one
        snapshot), one round trip instead of three on PostgreSQL."""
        assert self.session is not None
        if self.session.in_transaction():
            raise RuntimeError("read_once() must come before the first statement")
        self.session.connection(execution_options={READ_ONCE_OPTION: True} if self._sqlite
                                else {"isolation_level": "AUTOCOMMIT"})

    @contextmanager
    def sent_together(self) -> Iterator[None]:
        """Send the writes made inside together, when the block ends.

        On PostgreSQL they go out in one round trip (psycopg's pipeline mode) instead of one
        each, so a quote holds its terminal's lock for less time; nothing inside may read a
        result, and an error in any of them is raised as the block ends. The commit comes
        after the block: committing inside would return the connection to the pool, whose
        reset waits for the pipeline. Elsewhere (SQLite, or a libpq without pipeline mode,
        before 14) the statements run one by one as usual.
        """
        assert self.session is not None
        if not self._pipelined:
            yield
            return
        with self.session.connection().connection.driver_connection.pipeline():
            yield

    def commit(self) -> None:
        """Commit the transaction."""
        assert self.session is not None
        self.session.commit()
