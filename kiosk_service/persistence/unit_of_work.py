"""The unit of work: one transaction, its repositories, rolled back unless committed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kiosk_service.persistence.repositories import (
    ApiKeyRepository,
    AuthorizationRepository,
    DispenseRepository,
    IdempotencyRepository,
    JournalRepository,
    QuoteRepository,
    TerminalRepository,
)


class SqlUnitOfWork:
    """`with uow: ... uow.commit()`; leaving the block without commit rolls back."""

    terminals: TerminalRepository
    quotes: QuoteRepository
    dispenses: DispenseRepository
    idempotency: IdempotencyRepository
    authorizations: AuthorizationRepository
    journal: JournalRepository
    keys: ApiKeyRepository

    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self.session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.session = session = self._sessions()
        self.terminals = TerminalRepository(session)
        self.quotes = QuoteRepository(session)
        self.dispenses = DispenseRepository(session)
        self.idempotency = IdempotencyRepository(session)
        self.authorizations = AuthorizationRepository(session)
        self.journal = JournalRepository(session)
        self.keys = ApiKeyRepository(session)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        """Commit the transaction."""
        assert self.session is not None
        self.session.commit()
