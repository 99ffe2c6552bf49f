"""The journal: read pages of the append-only audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk_service.persistence.unit_of_work import SqlUnitOfWork
from kiosk_service.records import JournalEntry


@dataclass(frozen=True, slots=True)
class JournalPage:
    """One page of entries (oldest first unless asked otherwise), and how many match."""

    items: list[JournalEntry]
    page: int
    page_size: int
    total: int


def read_journal(terminal_id: str, *, uow: SqlUnitOfWork, kinds: list[str] | None = None,
                 since: datetime | None = None, until: datetime | None = None, page: int = 1,
                 page_size: int = 50, subject: str | None = None,
                 newest_first: bool = False) -> JournalPage:
    """Return one page of the terminal's journal (entries about `subject` only, e.g. a
    cassette id, when given; the newest first when asked, as the console shows it); raises
    NotFound (`not_found`)."""
    with uow:
        uow.terminals.get(terminal_id)
        items, total = uow.journal.page(terminal_id, kinds=kinds, since=since, until=until,
                                        page=page, page_size=page_size, subject=subject,
                                        newest_first=newest_first)
    return JournalPage(items, page, page_size, total)
