"""ORM tables; each row class converts to and from the service's frozen records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from denomination.cassettes import Cassette, CassetteStatus
from kiosk_service.persistence.database import UtcDateTime
from kiosk_service.records import ApiKey, JournalEntry, NoteOutcome, Role


class Base(DeclarativeBase):
    """Declarative base of the Cashmix schema.

    Every table that grows has a key starting with its terminal (migration 0007), so that it
    can be distributed by terminal (docs/deploy.md, "Beyond one database", docs/deploy/citus.sql):
    primary keys, unique constraints and foreign keys between them all carry `terminal_id`.
    """

    type_annotation_map = {dict[str, Any]: JSON}


class TerminalRow(Base):
    __tablename__ = "terminals"
    __table_args__ = (Index("ix_terminals_region", "region", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    note_limit: Mapped[int] = mapped_column(Integer)
    host_secret_env: Mapped[str | None] = mapped_column(String(200))
    dispenser_url: Mapped[str | None] = mapped_column(String(500))
    # The branch or area from the terminal file (migration 0005), for fleet views.
    region: Mapped[str | None] = mapped_column(String(64))
    # The dispensing policy as JSON text (read through a cache keyed by the text); None: default.
    policy: Mapped[str | None] = mapped_column(Text)
    # Unused since writes lock the terminal row itself; kept to spare a migration.
    version: Mapped[int] = mapped_column(Integer, default=0)


class CassetteRow(Base):
    __tablename__ = "cassettes"

    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    denomination: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    # Notes held by quotes, kept in step by QuoteRepository (expired holds leave lazily).
    held: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int | None] = mapped_column(Integer)
    low_threshold: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # The device's storage unit name when the terminal file gives one (XFS4IoT `unit3`).
    unit: Mapped[str | None] = mapped_column(String(32))

    def to_domain(self) -> Cassette:
        return Cassette(self.id, self.currency, self.denomination, self.count,
                        CassetteStatus(self.status), self.capacity, self.low_threshold,
                        self.locked)

    def update_from(self, cassette: Cassette) -> None:
        self.currency, self.denomination = cassette.currency, cassette.denomination
        self.count, self.capacity = cassette.count, cassette.capacity
        self.low_threshold, self.status = cassette.low_threshold, str(cassette.status)
        self.locked = cassette.locked


class QuoteRow(Base):
    __tablename__ = "quotes"
    # Live holds are found by a range scan on expiry; release_expired marks the expired ones.
    __table_args__ = (PrimaryKeyConstraint("terminal_id", "id"),
                      Index("ix_quotes_live", "terminal_id", "status", "expires_at"))

    id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    preference: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    alternatives: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    created_at = mapped_column(UtcDateTime, nullable=False)
    expires_at = mapped_column(UtcDateTime, nullable=False)


class QuoteNoteRow(Base):
    """The notes a quote holds, per cassette (the hold)."""

    __tablename__ = "quote_notes"
    __table_args__ = (PrimaryKeyConstraint("terminal_id", "quote_id", "cassette_id"),
                      ForeignKeyConstraint(["terminal_id", "quote_id"],
                                           ["quotes.terminal_id", "quotes.id"]))

    quote_id: Mapped[str] = mapped_column(String(32))
    cassette_id: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)


class DispenseRow(Base):
    __tablename__ = "dispenses"
    __table_args__ = (PrimaryKeyConstraint("terminal_id", "id"),
                      UniqueConstraint("terminal_id", "quote_id"),
                      ForeignKeyConstraint(["terminal_id", "quote_id"],
                                           ["quotes.terminal_id", "quotes.id"]),
                      Index("ix_dispenses_terminal_state", "terminal_id", "state"))

    id: Mapped[str] = mapped_column(String(32))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    quote_id: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(64))
    # The device's counters when the dispense started: recovery diffs against them.
    device_before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    complete_from_others: Mapped[bool] = mapped_column(Boolean, default=False)
    # The process driving the device ("host:pid:instance"): recovery settles only the
    # dispenses of processes that are gone, never those of a live one.
    owner: Mapped[str] = mapped_column(String(200), default="")
    created_at = mapped_column(UtcDateTime, nullable=False)
    updated_at = mapped_column(UtcDateTime, nullable=False)


class DispenseNoteRow(Base):
    """One cassette's notes in one dispense, counter by counter."""

    __tablename__ = "dispense_notes"
    __table_args__ = (PrimaryKeyConstraint("terminal_id", "dispense_id", "cassette_id"),
                      ForeignKeyConstraint(["terminal_id", "dispense_id"],
                                           ["dispenses.terminal_id", "dispenses.id"]))

    dispense_id: Mapped[str] = mapped_column(String(32))
    cassette_id: Mapped[str] = mapped_column(String(64))
    # The dispense's terminal: added by 0006 (expand), NOT NULL and in the key since 0007.
    terminal_id: Mapped[str] = mapped_column(String(64))
    denomination: Mapped[int] = mapped_column(BigInteger)
    planned: Mapped[int] = mapped_column(Integer, default=0)
    picked: Mapped[int] = mapped_column(Integer, default=0)
    stacked: Mapped[int] = mapped_column(Integer, default=0)
    presented: Mapped[int] = mapped_column(Integer, default=0)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    retracted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)

    @staticmethod
    def values_of(terminal_id: str, dispense_id: str, note: NoteOutcome) -> dict[str, Any]:
        """Return the row's column values for one note outcome."""
        return {"terminal_id": terminal_id, "dispense_id": dispense_id,
                "cassette_id": note.cassette_id, "denomination": note.denomination,
                "planned": note.planned, "picked": note.picked, "stacked": note.stacked,
                "presented": note.presented, "taken": note.taken, "retracted": note.retracted,
                "rejected": note.rejected, "unknown": note.unknown}


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (ForeignKeyConstraint(["terminal_id", "dispense_id"],
                                           ["dispenses.terminal_id", "dispenses.id"]),)

    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    dispense_id: Mapped[str] = mapped_column(String(32))
    created_at = mapped_column(UtcDateTime, nullable=False)


class UsedAuthorizationRow(Base):
    """Host authorizations already spent: a second use is a replay."""

    __tablename__ = "used_authorizations"
    # Unique per terminal: a signature covers its terminal id, so on another terminal it does
    # not verify anyway (services/authorization.py).
    __table_args__ = (PrimaryKeyConstraint("terminal_id", "signature"),)

    signature: Mapped[str] = mapped_column(String(128))
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"))
    quote_id: Mapped[str] = mapped_column(String(32))
    used_at = mapped_column(UtcDateTime, nullable=False)


class NextJournalId(FunctionElement):
    """The next journal id, as the INSERT computes it: a composite key cannot be SQLite's
    autoincrementing INTEGER PRIMARY KEY, so ids stay unique and increasing thus."""

    name = "next_journal_id"
    type = Integer()
    inherit_cache = True


@compiles(NextJournalId, "postgresql")
def _next_journal_id_postgresql(element: NextJournalId, compiler: Any, **kw: Any) -> str:
    # The sequence of the SERIAL column that migration 0001 made.
    return "nextval('journal_id_seq')"


@compiles(NextJournalId, "sqlite")
def _next_journal_id_sqlite(element: NextJournalId, compiler: Any, **kw: Any) -> str:
    # One more than the largest (ix_journal_id): unique since SQLite runs one writing
    # transaction at a time, and the journal never loses its newest entries.
    return "(SELECT coalesce(max(journal.id), 0) + 1 FROM journal)"


class JournalRow(Base):
    __tablename__ = "journal"
    __table_args__ = (PrimaryKeyConstraint("terminal_id", "id"),
                      Index("ix_journal_id", "id"),
                      Index("ix_journal_terminal_kind", "terminal_id", "kind", "id"),
                      Index("ix_journal_terminal_at", "terminal_id", "at"))

    # Unique over the whole journal and increasing in the order entries were written.
    id: Mapped[int] = mapped_column(Integer, default=NextJournalId())
    terminal_id: Mapped[str] = mapped_column(String(64))
    at = mapped_column(UtcDateTime, nullable=False)
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def to_domain(self) -> JournalEntry:
        return JournalEntry(self.kind, self.terminal_id, self.actor, self.at, self.subject,
                            self.reason, self.before, self.after, self.details, self.id)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(10))
    # No foreign key since 0007: a reference table cannot point into a distributed one
    # (create_key checks that the terminal exists).
    terminal_id: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at = mapped_column(UtcDateTime, nullable=False)
    expires_at = mapped_column(UtcDateTime, nullable=True)
    revoked_at = mapped_column(UtcDateTime, nullable=True)

    def to_domain(self) -> ApiKey:
        return ApiKey(self.id, self.secret_hash, Role(self.role), self.terminal_id,
                      self.created_at, self.label, self.expires_at, self.revoked_at)


class AuthFailureRow(Base):
    """Failed authentications in the current window, per bucket (`key:<id>`, `address:<ip>`),
    shared by every process; `blocked_until` is set when a bucket reaches its limit."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_window", "window_start"),)

    bucket: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start = mapped_column(UtcDateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    blocked_until = mapped_column(UtcDateTime, nullable=True)
