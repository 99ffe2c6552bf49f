"""Terminals and their cassettes: the reads every quote and dispense starts with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from denomination.cassettes import Cassette, CassetteStatus
from kiosk_service.errors import NotFound
from kiosk_service.persistence.codecs import policy_from_json, policy_to_json
from kiosk_service.persistence.database import UtcDateTime
from kiosk_service.persistence.repositories.base import Repository
from kiosk_service.persistence.tables import CassetteRow, QuoteRow, TerminalRow
from kiosk_service.records import QuoteStatus, Terminal

_TERMINALS = TerminalRow.__table__
_CASSETTES = CassetteRow.__table__
_QUOTES = QuoteRow.__table__
_CASSETTE_COLUMNS = (_CASSETTES.c.id, _CASSETTES.c.currency, _CASSETTES.c.denomination,
                     _CASSETTES.c.count, _CASSETTES.c.status, _CASSETTES.c.capacity,
                     _CASSETTES.c.low_threshold, _CASSETTES.c.locked, _CASSETTES.c.unit)
_TERMINAL_COLUMNS = (_TERMINALS.c.id, _TERMINALS.c.name, _TERMINALS.c.currency,
                     _TERMINALS.c.note_limit, _TERMINALS.c.host_secret_env,
                     _TERMINALS.c.dispenser_url, _TERMINALS.c.policy, _TERMINALS.c.region)

# The statements of every quote and dispense, built once with bind parameters: building a
# statement costs more Python than running it. Each names its terminal (docs/deploy.md).
_TERMINAL = select(*_TERMINAL_COLUMNS).where(_TERMINALS.c.id == bindparam("terminal"))
_TERMINAL_LOCKED = _TERMINAL.with_for_update()
_TERMINAL_CASSETTES = (select(*_CASSETTE_COLUMNS)
                       .where(_CASSETTES.c.terminal_id == bindparam("terminal"))
                       .order_by(_CASSETTES.c.position))
#: Whether a held quote of the terminal has expired by :at (release_expired is then due).
_EXPIRED_HOLD = (select(_QUOTES.c.id)
                 .where(_QUOTES.c.terminal_id == bindparam("terminal"),
                        _QUOTES.c.status == QuoteStatus.HELD.value,
                        _QUOTES.c.expires_at <= bindparam("at", type_=UtcDateTime()))
                 .exists())
#: The cassettes with the notes held in them, and _EXPIRED_HOLD on every row.
_HELD_COLUMNS = (_CASSETTES.c.held, _EXPIRED_HOLD.label("expired"))
_TERMINAL_CASSETTES_HELD = (select(*_CASSETTE_COLUMNS, *_HELD_COLUMNS)
                            .where(_CASSETTES.c.terminal_id == bindparam("terminal"))
                            .order_by(_CASSETTES.c.position))
#: Where BEGIN took the write lock (SQLite), the terminal's row and its cassettes in one
#: statement: a row per cassette (one with NULL cassette columns when it has none).
_WITH_CASSETTES = (select(*_TERMINAL_COLUMNS, *_CASSETTE_COLUMNS)
                   .select_from(_TERMINALS.outerjoin(
                       _CASSETTES, _CASSETTES.c.terminal_id == _TERMINALS.c.id))
                   .where(_TERMINALS.c.id == bindparam("terminal"))
                   .order_by(_CASSETTES.c.position))
_WITH_CASSETTES_HELD = _WITH_CASSETTES.add_columns(*_HELD_COLUMNS)
_SAVE_CASSETTE = (update(_CASSETTES)
                  .where(_CASSETTES.c.terminal_id == bindparam("terminal"),
                         _CASSETTES.c.id == bindparam("cassette"))
                  .values({name: bindparam(f"new_{name}") for name in (
                      "currency", "denomination", "count", "capacity", "low_threshold",
                      "status", "locked")}))


class TerminalRepository(Repository):
    """Terminals and their cassettes. `begin_writing` starts a writing transaction (the unit of
    work's lock_for_writing); `locked_at_begin` says that it takes the write lock at BEGIN
    (SQLite), so reading a terminal for update needs no locking statement of its own."""

    def __init__(self, session: Session, begin_writing: Callable[[], None],
                 locked_at_begin: bool = False):
        super().__init__(session)
        self.begin_writing = begin_writing
        self.locked_at_begin = locked_at_begin

    def get(self, terminal_id: str) -> Terminal:
        """Return the terminal; raises NotFound (`not_found`)."""
        row = self._row(terminal_id, lock=False)
        return _terminal_of(tuple(row), tuple(map(tuple, self._core(_TERMINAL_CASSETTES,
                                                                    terminal_id))))

    def get_for_update(self, terminal_id: str) -> Terminal:
        """Return the terminal, locking its row until commit (SQLite: the whole database).

        Call it first in a unit of work: on SQLite the lock is taken at BEGIN.
        """
        return self._locked(terminal_id, _WITH_CASSETTES, _TERMINAL_CASSETTES, {})[0]

    def get_for_quote(self, terminal_id: str, at: datetime
                      ) -> tuple[Terminal, dict[str, int], bool]:
        """Return the terminal locked as get_for_update, the notes held per cassette (the
        counters) and whether a held quote has expired by `at` (release_expired is due
        first); one statement on SQLite, two elsewhere.

        Elsewhere the lock comes first, in a statement of its own: on PostgreSQL a statement
        that waits for a row lock still reads the other tables as they were when it started.
        """
        terminal, rows = self._locked(terminal_id, _WITH_CASSETTES_HELD,
                                      _TERMINAL_CASSETTES_HELD, {"at": at})
        held_at = len(_CASSETTE_COLUMNS)
        held = {c[0]: c[held_at] for c in rows if c[held_at]}
        return terminal, held, bool(rows) and bool(rows[0][held_at + 1])

    def _locked(self, terminal_id: str, together: Any, cassettes: Any,
                parameters: dict[str, Any]) -> tuple[Terminal, list[tuple]]:
        """Return the terminal locked for update and its cassettes' rows from `cassettes`
        (`together`: the same with the terminal's columns first, in one statement)."""
        if not self.session.in_transaction():
            self.begin_writing()
        parameters = {"terminal": terminal_id, **parameters}
        if self.locked_at_begin:
            rows = [tuple(r) for r in self._execute(together, parameters)]
            if not rows:
                raise NotFound(f"There is no terminal {terminal_id}.", terminal=terminal_id)
            terminal = rows[0][:len(_TERMINAL_COLUMNS)]
            rows = [r[len(_TERMINAL_COLUMNS):] for r in rows if r[len(_TERMINAL_COLUMNS)]]
        else:
            terminal = tuple(self._row(terminal_id, lock=True))
            rows = [tuple(r) for r in self._execute(cassettes, parameters)]
        return _terminal_of(terminal, tuple(r[:len(_CASSETTE_COLUMNS)] for r in rows)), rows

    def ids(self) -> list[str]:
        """Return every terminal id, sorted."""
        return list(self.session.scalars(select(TerminalRow.id).order_by(TerminalRow.id)))

    def page(self, *, region: str | None = None, only: str | None = None, page: int = 1,
             page_size: int = 50) -> tuple[list[Terminal], int]:
        """Return one page of terminals by id (in `region`, or just `only`) and how many match
        in all; two statements whatever the page size."""
        where = []
        if region is not None:
            where.append(_TERMINALS.c.region == region)
        if only is not None:
            where.append(_TERMINALS.c.id == only)
        total = self._core(select(func.count()).select_from(_TERMINALS).where(*where)).scalar()
        rows = list(self._core(select(*_TERMINAL_COLUMNS).where(*where)
                               .order_by(_TERMINALS.c.id)
                               .offset((page - 1) * page_size).limit(page_size)))
        cassettes: dict[str, list[Any]] = {row.id: [] for row in rows}
        if rows:
            query = (select(_CASSETTES.c.terminal_id, *_CASSETTE_COLUMNS)
                     .where(_CASSETTES.c.terminal_id.in_(list(cassettes)))
                     .order_by(_CASSETTES.c.terminal_id, _CASSETTES.c.position))
            for c in self._core(query):
                cassettes[c.terminal_id].append(c)
        return [self._terminal(row, cassettes[row.id]) for row in rows], int(total or 0)

    def regions(self, *, only: str | None = None) -> list[str]:
        """Return the regions terminals are in (of just `only`), sorted; one statement."""
        query = select(_TERMINALS.c.region).distinct().where(_TERMINALS.c.region.is_not(None))
        if only is not None:
            query = query.where(_TERMINALS.c.id == only)
        return sorted(region for (region,) in self._core(query))

    def exists(self, terminal_id: str) -> bool:
        """Return True when the terminal exists."""
        return self.session.get(TerminalRow, terminal_id) is not None

    def save(self, terminal: Terminal) -> None:
        """Insert or replace the terminal and its cassettes."""
        row = self.session.get(TerminalRow, terminal.id)
        if row is None:
            row = TerminalRow(id=terminal.id, version=0)
            self.session.add(row)
        row.name, row.currency, row.note_limit = terminal.name, terminal.currency, \
            terminal.note_limit
        row.host_secret_env, row.dispenser_url = terminal.host_secret_env, terminal.dispenser_url
        row.region = terminal.region
        row.policy = policy_to_json(terminal.policy, terminal.currency)
        existing = {c.id: c for c in self._cassette_rows(terminal.id)}
        for position, cassette in enumerate(terminal.cassettes):
            cassette_row = existing.pop(cassette.id, None)
            if cassette_row is None:
                cassette_row = CassetteRow(terminal_id=terminal.id, id=cassette.id)
                self.session.add(cassette_row)
            cassette_row.position = position
            cassette_row.update_from(cassette)
            cassette_row.unit = terminal.unit_names.get(cassette.id)
        for stale in existing.values():
            self.session.delete(stale)
        self.session.flush()

    def save_cassette(self, terminal_id: str, cassette: Cassette) -> None:
        """Store a changed cassette; raises NotFound when it does not exist."""
        # Core: every settled dispense stores its cassettes' counts.
        changed = self._execute(_SAVE_CASSETTE, {
            "terminal": terminal_id, "cassette": cassette.id,
            "new_currency": cassette.currency, "new_denomination": cassette.denomination,
            "new_count": cassette.count, "new_capacity": cassette.capacity,
            "new_low_threshold": cassette.low_threshold, "new_status": str(cassette.status),
            "new_locked": cassette.locked})
        self.session.expire_all()
        if not changed.rowcount:
            raise NotFound(f"Terminal {terminal_id} has no cassette {cassette.id}.",
                           cassette=cassette.id)

    def _row(self, terminal_id: str, *, lock: bool) -> Any:
        # Core rows, not ORM objects: this runs on every quote and dispense.
        row = self._core(_TERMINAL_LOCKED if lock else _TERMINAL, terminal_id).one_or_none()
        if row is None:
            raise NotFound(f"There is no terminal {terminal_id}.", terminal=terminal_id)
        return row

    def _core(self, statement: Any, terminal_id: str | None = None) -> Any:
        return self._execute(statement, None if terminal_id is None else {"terminal": terminal_id})

    def _cassette_rows(self, terminal_id: str) -> list[CassetteRow]:
        query = select(CassetteRow).where(CassetteRow.terminal_id == terminal_id)
        return list(self.session.scalars(query.order_by(CassetteRow.position)))

    def _terminal(self, row: Any, rows: list[Any]) -> Terminal:
        return _terminal_of(tuple(row), tuple(tuple(c)[-len(_CASSETTE_COLUMNS):] for c in rows))


@lru_cache(maxsize=1024)
def _terminal_of(row: tuple, cassettes: tuple[tuple, ...]) -> Terminal:
    """Build the terminal from its _TERMINAL_COLUMNS values and its cassettes'
    _CASSETTE_COLUMNS values. Cached by those values, so any change (a dispense's counts, a
    staff action, an import, in any process) reads as another terminal: nothing to
    invalidate."""
    terminal_id, name, currency, note_limit, host_secret_env, dispenser_url, policy, region = row
    built = tuple(Cassette(cid, cassette_currency, denomination, count, CassetteStatus(status),
                           capacity, low_threshold, locked)
                  for cid, cassette_currency, denomination, count, status, capacity,
                  low_threshold, locked, _unit in cassettes)
    return Terminal(terminal_id, name, currency, note_limit, built, host_secret_env,
                    dispenser_url, policy_from_json(policy, currency),
                    tuple((c[0], c[-1]) for c in cassettes if c[-1]), region)
