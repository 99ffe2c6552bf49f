"""The append-only audit journal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select

from kiosk_service.persistence.repositories.base import Repository
from kiosk_service.persistence.tables import JournalRow
from kiosk_service.records import JournalEntry

_INSERT = insert(JournalRow.__table__)


class JournalRepository(Repository):
    """The append-only audit journal."""

    def add(self, entry: JournalEntry) -> None:
        """Append an entry (one row per statement: see tables.NextJournalId)."""
        # Core: several entries on every dispense; the id comes from the column's default.
        self.session.flush()
        self.session.connection().execute(_INSERT, {
            "terminal_id": entry.terminal_id, "at": entry.at, "kind": entry.kind,
            "actor": entry.actor, "subject": entry.subject, "reason": entry.reason,
            "before": entry.before, "after": entry.after, "details": entry.details})

    def all(self, terminal_id: str, *, kinds: list[str]) -> list[JournalEntry]:
        """Return every entry of the terminal of these kinds, oldest first (the audit)."""
        query = (select(JournalRow).where(JournalRow.terminal_id == terminal_id,
                                          JournalRow.kind.in_(kinds))
                 .order_by(JournalRow.id))
        return [row.to_domain() for row in self.session.scalars(query)]

    def page(self, terminal_id: str, *, kinds: list[str] | None = None,
             since: datetime | None = None, until: datetime | None = None,
             page: int = 1, page_size: int = 50, subject: str | None = None,
             newest_first: bool = False) -> tuple[list[JournalEntry], int]:
        """Return one page of entries (oldest first, or newest first) and how many match."""
        where = [JournalRow.terminal_id == terminal_id]
        if kinds:
            where.append(JournalRow.kind.in_(kinds))
        if subject is not None:
            where.append(JournalRow.subject == subject)
        if since is not None:
            where.append(JournalRow.at >= since)
        if until is not None:
            where.append(JournalRow.at < until)
        total = self.session.scalar(select(func.count()).select_from(JournalRow).where(*where))
        order = JournalRow.id.desc() if newest_first else JournalRow.id
        query = (select(JournalRow).where(*where).order_by(order)
                 .offset((page - 1) * page_size).limit(page_size))
        return [row.to_domain() for row in self.session.scalars(query)], int(total or 0)
