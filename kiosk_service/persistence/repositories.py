"""Repositories: queries over one session, returning the service's frozen records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from denomination.cassettes import Cassette, CassetteStatus
from denomination.money import Amount
from denomination.preferences import Preference
from kiosk_service.errors import NotFound
from kiosk_service.persistence.codecs import (
    plan_from_json,
    plan_to_json,
    policy_from_json,
    policy_to_json,
)
from kiosk_service.persistence.tables import (
    CassetteRow,
    DispenseNoteRow,
    DispenseRow,
    IdempotencyRow,
    JournalRow,
    QuoteNoteRow,
    QuoteRow,
    TerminalRow,
    UsedAuthorizationRow,
)
from kiosk_service.records import (
    Dispense,
    DispenseState,
    JournalEntry,
    NoteOutcome,
    Quote,
    QuoteStatus,
    Terminal,
)

_TERMINALS = TerminalRow.__table__
_CASSETTES = CassetteRow.__table__
_QUOTES = QuoteRow.__table__
_DISPENSES = DispenseRow.__table__
_DISPENSE_NOTES = DispenseNoteRow.__table__
_QUOTE_NOTES = QuoteNoteRow.__table__
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
#: When the terminal's oldest held quote expires (NULL: none is held).
_OLDEST_HOLD = (select(func.min(_QUOTES.c.expires_at))
                .where(_QUOTES.c.terminal_id == bindparam("terminal"),
                       _QUOTES.c.status == QuoteStatus.HELD.value)
                .scalar_subquery())
#: The cassettes with the notes held in them, and _OLDEST_HOLD on every row.
_TERMINAL_CASSETTES_HELD = (select(*_CASSETTE_COLUMNS, _CASSETTES.c.held,
                                   _OLDEST_HOLD.label("oldest_hold"))
                            .where(_CASSETTES.c.terminal_id == bindparam("terminal"))
                            .order_by(_CASSETTES.c.position))


class TerminalRepository:
    """Terminals and their cassettes. `begin_writing` starts a writing transaction (the unit of
    work's lock_for_writing)."""

    def __init__(self, session: Session, begin_writing: Callable[[], None]):
        self.session = session
        self.begin_writing = begin_writing

    def get(self, terminal_id: str) -> Terminal:
        """Return the terminal; raises NotFound (`not_found`)."""
        row = self._row(terminal_id, lock=False)
        return _terminal_of(row, tuple(map(tuple, self._core(_TERMINAL_CASSETTES, terminal_id))))

    def get_for_update(self, terminal_id: str) -> Terminal:
        """Return the terminal, locking its row until commit (SQLite: the whole database).

        Call it first in a unit of work: on SQLite the lock is taken at BEGIN.
        """
        return self.get_for_quote(terminal_id)[0]

    def get_for_quote(self, terminal_id: str
                      ) -> tuple[Terminal, dict[str, int], datetime | None]:
        """Return the terminal locked as get_for_update, the notes held per cassette (the
        counters: release_expired first when the oldest hold has expired) and when its oldest
        held quote expires (None: no quote is held); two statements.

        The lock comes first, in a statement of its own: on PostgreSQL a statement that waits
        for a row lock still reads the other tables as they were when it started.
        """
        if not self.session.in_transaction():
            self.begin_writing()
        row = self._row(terminal_id, lock=True)
        rows = list(self._core(_TERMINAL_CASSETTES_HELD, terminal_id))
        terminal = _terminal_of(row, tuple(tuple(c)[:len(_CASSETTE_COLUMNS)] for c in rows))
        held = {c.id: c.held for c in rows if c.held}
        return terminal, held, rows[0].oldest_hold if rows else None

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
        rows = list(self._core(select(_TERMINALS).where(*where).order_by(_TERMINALS.c.id)
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
        row = self.session.get(CassetteRow, (terminal_id, cassette.id))
        if row is None:
            raise NotFound(f"Terminal {terminal_id} has no cassette {cassette.id}.",
                           cassette=cassette.id)
        row.update_from(cassette)
        self.session.flush()

    def _row(self, terminal_id: str, *, lock: bool) -> Any:
        # Core rows, not ORM objects: this runs on every quote and dispense.
        row = self._core(_TERMINAL_LOCKED if lock else _TERMINAL, terminal_id).one_or_none()
        if row is None:
            raise NotFound(f"There is no terminal {terminal_id}.", terminal=terminal_id)
        return row

    def _core(self, statement: Any, terminal_id: str | None = None) -> Any:
        # Pending ORM changes first, then a plain Core query: no ORM bookkeeping per row.
        self.session.flush()
        if terminal_id is None:
            return self.session.connection().execute(statement)
        return self.session.connection().execute(statement, {"terminal": terminal_id})

    def _cassette_rows(self, terminal_id: str) -> list[CassetteRow]:
        query = select(CassetteRow).where(CassetteRow.terminal_id == terminal_id)
        return list(self.session.scalars(query.order_by(CassetteRow.position)))

    def _terminal(self, row: Any, rows: list[Any]) -> Terminal:
        return _terminal_of(row, tuple(tuple(c)[-len(_CASSETTE_COLUMNS):] for c in rows))


@lru_cache(maxsize=1024)
def _terminal_of(row: Any, cassettes: tuple[tuple, ...]) -> Terminal:
    """Build the terminal from its row and its cassettes' _CASSETTE_COLUMNS values. Cached by
    those values, so any change (a dispense's counts, a staff action, an import, in any
    process) reads as another terminal: nothing to invalidate."""
    built = tuple(Cassette(cid, currency, denomination, count, CassetteStatus(status), capacity,
                           low_threshold, locked)
                  for cid, currency, denomination, count, status, capacity, low_threshold,
                  locked, _unit in cassettes)
    return Terminal(row.id, row.name, row.currency, row.note_limit, built,
                    row.host_secret_env, row.dispenser_url,
                    policy_from_json(row.policy, row.currency),
                    tuple((c[0], c[-1]) for c in cassettes if c[-1]), row.region)


_ADD_HELD = (update(_CASSETTES)
             .where(_CASSETTES.c.terminal_id == bindparam("terminal"),
                    _CASSETTES.c.id == bindparam("cassette"))
             .values(held=_CASSETTES.c.held + bindparam("notes")))
_INSERT_QUOTE = insert(_QUOTES)
_INSERT_QUOTE_NOTES = insert(_QUOTE_NOTES)
_QUOTE = select(_QUOTES.c.id, _QUOTES.c.terminal_id, _QUOTES.c.amount, _QUOTES.c.currency,
                _QUOTES.c.preference, _QUOTES.c.plan, _QUOTES.c.alternatives,
                _QUOTES.c.status, _QUOTES.c.created_at, _QUOTES.c.expires_at).where(
    _QUOTES.c.terminal_id == bindparam("terminal"), _QUOTES.c.id == bindparam("quote"))
_SET_STATUS = (update(_QUOTES)
               .where(_QUOTES.c.terminal_id == bindparam("terminal"),
                      _QUOTES.c.id.in_(bindparam("quotes", expanding=True)))
               .values(status=bindparam("new_status")))
_MARK_DISPENSED = (update(_QUOTES)
                   .where(_QUOTES.c.terminal_id == bindparam("terminal"),
                          _QUOTES.c.id == bindparam("quote"),
                          _QUOTES.c.status != QuoteStatus.DISPENSED.value)
                   .values(status=QuoteStatus.DISPENSED.value)
                   .returning(_QUOTES.c.id))
_HELD_COUNTERS = select(_CASSETTES.c.id, _CASSETTES.c.held).where(
    _CASSETTES.c.terminal_id == bindparam("terminal"), _CASSETTES.c.held != 0)


def _release(holds: Any) -> Any:
    """UPDATE cassettes SET held = held - (the notes `holds` hold in it), for the cassettes
    they hold notes in, returning (id, held): one statement whatever the number of holds.
    `holds` is a condition on quote_notes, joined to its quote."""
    notes = (select(_QUOTE_NOTES.c.cassette_id)
             .join_from(_QUOTE_NOTES, _QUOTES,
                        (_QUOTES.c.terminal_id == _QUOTE_NOTES.c.terminal_id)
                        & (_QUOTES.c.id == _QUOTE_NOTES.c.quote_id))
             .where(_QUOTE_NOTES.c.terminal_id == bindparam("terminal"), holds))
    freed = (notes.with_only_columns(func.coalesce(func.sum(_QUOTE_NOTES.c.count), 0))
             .where(_QUOTE_NOTES.c.cassette_id == _CASSETTES.c.id).scalar_subquery())
    return (update(_CASSETTES)
            .where(_CASSETTES.c.terminal_id == bindparam("terminal"),
                   _CASSETTES.c.id.in_(notes.scalar_subquery()))
            .values(held=_CASSETTES.c.held - freed)
            .returning(_CASSETTES.c.id, _CASSETTES.c.held))


#: A held quote whose hold ran out by `at`.
_EXPIRED = and_(_QUOTES.c.terminal_id == bindparam("terminal"),
                _QUOTES.c.status == QuoteStatus.HELD.value,
                _QUOTES.c.expires_at <= bindparam("at"))
_RELEASE_EXPIRED = _release(_EXPIRED)
_MARK_EXPIRED = update(_QUOTES).where(_EXPIRED).values(status=QuoteStatus.EXPIRED.value)
_RELEASE_QUOTES = _release(_QUOTES.c.id.in_(bindparam("quotes", expanding=True)))


class QuoteRepository:
    """Quotes and the notes they hold.

    Each cassette row keeps a `held` counter, so a quote finds the free notes without summing
    every live hold. Holds leave it when their quote is dispensed, or lazily once expired
    (`release_expired`, run under the terminal's lock before planning when the oldest hold has
    expired): no background job. `held_notes` sums the live holds directly, for readers that
    must not write.

    A hold (quote_notes) is stored beside the plan (the quote's `plan`, by cassette) and must
    stay so: it is what lets one statement release any number of holds, and after a jam a
    re-plan makes the quote hold the notes already taken plus the new mix, while its plan stays
    the mix the customer was quoted.
    """

    def __init__(self, session: Session):
        self.session = session

    def add(self, quote: Quote) -> None:
        """Store a new quote and its hold."""
        self._connection().execute(_INSERT_QUOTE, {
            "id": quote.id, "terminal_id": quote.terminal_id, "amount": quote.amount.value,
            "currency": quote.amount.currency,
            "preference": quote.preference.to_mapping(),
            "plan": plan_to_json(quote.plan),
            "alternatives": [plan_to_json(p) for p in quote.alternatives],
            "status": str(quote.status), "created_at": quote.created_at,
            "expires_at": quote.expires_at})
        self._hold(quote.id, quote.terminal_id, quote.plan.by_cassette)

    def get(self, terminal_id: str, quote_id: str) -> Quote:
        """Return the quote; raises NotFound (`not_found`)."""
        row = self._connection().execute(_QUOTE, {"terminal": terminal_id,
                                                  "quote": quote_id}).one_or_none()
        if row is None:
            raise NotFound(f"Terminal {terminal_id} has no quote {quote_id}.", quote=quote_id)
        return Quote(row.id, row.terminal_id, Amount(row.amount, row.currency),
                     Preference.from_mapping(row.preference), plan_from_json(row.plan),
                     tuple(plan_from_json(p) for p in row.alternatives),
                     QuoteStatus(row.status), row.created_at, row.expires_at)

    def start_dispensing(self, terminal_id: str, quote_id: str) -> None:
        """Mark the quote as being dispensed: it holds its notes whatever the time."""
        self._set_status(terminal_id, [quote_id], QuoteStatus.DISPENSING)

    def mark_dispensed(self, terminal_id: str, quote_id: str) -> None:
        """Mark the quote dispensed and release its hold (the notes left the cassettes)."""
        marked = self._connection().execute(_MARK_DISPENSED, {"terminal": terminal_id,
                                                              "quote": quote_id}).first()
        if marked is not None:
            self._unhold(terminal_id, [quote_id])
        else:
            self.get(terminal_id, quote_id)     # NotFound, unless dispensed before
        self.session.expire_all()

    def _set_status(self, terminal_id: str, quote_ids: list[str], status: QuoteStatus) -> None:
        # Core, by terminal and id: every statement names its terminal (docs/deploy.md, Citus).
        self._connection().execute(_SET_STATUS, {"terminal": terminal_id, "quotes": quote_ids,
                                                 "new_status": str(status)})
        self.session.expire_all()

    def replace_hold(self, quote: Quote, counts: Mapping[str, int]) -> None:
        """Make the quote hold `counts` (cassette id -> notes) instead of what it held."""
        self._unhold(quote.terminal_id, [quote.id])
        self.session.execute(delete(QuoteNoteRow).where(
            QuoteNoteRow.terminal_id == quote.terminal_id, QuoteNoteRow.quote_id == quote.id))
        self._hold(quote.id, quote.terminal_id, counts)

    def release_expired(self, terminal_id: str, at: datetime) -> dict[str, int]:
        """Release the holds of quotes expired at `at` and mark them expired, in two
        statements whatever their number; return cassette id -> notes still held in the
        cassettes whose counters changed."""
        params = {"terminal": terminal_id, "at": at}
        connection = self._connection()
        released = dict(connection.execute(_RELEASE_EXPIRED, params).all())
        connection.execute(_MARK_EXPIRED, params)
        return released

    def held_counters(self, terminal_id: str) -> dict[str, int]:
        """Return cassette id -> held notes from the counters (exact after release_expired)."""
        return dict(self._connection().execute(_HELD_COUNTERS,
                                               {"terminal": terminal_id}).all())

    def held_notes(self, terminal_id: str, at: datetime) -> dict[str, int]:
        """Return cassette id -> notes held at `at` by live quotes (expired holds count not)."""
        live = or_(QuoteRow.status == str(QuoteStatus.DISPENSING),
                   (QuoteRow.status == str(QuoteStatus.HELD)) & (QuoteRow.expires_at > at))
        query = (select(QuoteNoteRow.cassette_id, func.sum(QuoteNoteRow.count))
                 .join(QuoteRow, (QuoteRow.terminal_id == QuoteNoteRow.terminal_id)
                       & (QuoteRow.id == QuoteNoteRow.quote_id))
                 .where(QuoteNoteRow.terminal_id == terminal_id, live)
                 .group_by(QuoteNoteRow.cassette_id))
        return {cassette_id: int(total) for cassette_id, total in self.session.execute(query)}

    def _hold(self, quote_id: str, terminal_id: str, counts: Mapping[str, int]) -> None:
        held = {cassette_id: n for cassette_id, n in counts.items() if n}
        if held:
            connection = self._connection()
            connection.execute(_INSERT_QUOTE_NOTES, [
                {"quote_id": quote_id, "cassette_id": cassette_id, "terminal_id": terminal_id,
                 "count": count} for cassette_id, count in held.items()])
            # A Core executemany: the hot path of every quote, without ORM bookkeeping.
            connection.execute(_ADD_HELD, [
                {"terminal": terminal_id, "cassette": c, "notes": n} for c, n in held.items()])

    def _unhold(self, terminal_id: str, quote_ids: list[str]) -> None:
        self._connection().execute(_RELEASE_QUOTES, {"terminal": terminal_id,
                                                     "quotes": quote_ids})

    def _connection(self) -> Any:
        # Pending ORM changes first, then plain Core statements.
        self.session.flush()
        return self.session.connection()


class DispenseRepository:
    """Dispenses and their note-by-note outcomes."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, dispense: Dispense, *, device_before: Mapping[str, Any],
            complete_from_others: bool, owner: str) -> None:
        """Store a new dispense (normally in flight) with the device counters before it."""
        self.session.add(DispenseRow(
            id=dispense.id, terminal_id=dispense.terminal_id, quote_id=dispense.quote_id,
            amount=dispense.amount.value, currency=dispense.amount.currency,
            state=str(dispense.state), error=dispense.error, device_before=dict(device_before),
            complete_from_others=complete_from_others, owner=owner,
            created_at=dispense.created_at,
            updated_at=dispense.updated_at))
        self.session.flush()
        self._save_notes(dispense)

    def save(self, dispense: Dispense) -> None:
        """Store the dispense's new state and outcome."""
        self.session.flush()
        self.session.connection().execute(
            update(_DISPENSES).where(_DISPENSES.c.terminal_id == dispense.terminal_id,
                                     _DISPENSES.c.id == dispense.id)
            .values(state=str(dispense.state), error=dispense.error,
                    updated_at=dispense.updated_at))
        self.session.expire_all()
        self._save_notes(dispense)

    def get(self, terminal_id: str, dispense_id: str) -> Dispense:
        """Return the dispense; raises NotFound (`not_found`)."""
        return self._load(self._row(terminal_id, dispense_id))

    def device_before(self, terminal_id: str, dispense_id: str) -> dict[str, Any]:
        """Return the device counters recorded when the dispense started."""
        return dict(self._row(terminal_id, dispense_id).device_before or {})

    def _row(self, terminal_id: str, dispense_id: str) -> DispenseRow:
        row = self.session.scalars(select(DispenseRow).where(
            DispenseRow.terminal_id == terminal_id, DispenseRow.id == dispense_id)).one_or_none()
        if row is None:
            raise NotFound(f"Terminal {terminal_id} has no dispense {dispense_id}.",
                           dispense=dispense_id)
        return row

    def latest_id(self, terminal_id: str) -> str | None:
        """Return the id of the terminal's newest dispense, or None."""
        query = (select(DispenseRow.id).where(DispenseRow.terminal_id == terminal_id)
                 .order_by(DispenseRow.created_at.desc(), DispenseRow.id.desc()).limit(1))
        return self.session.scalar(query)

    def picked_since(self, terminal_id: str, since: datetime) -> dict[str, int]:
        """Return cassette id -> notes picked by the terminal's dispenses started since `since`."""
        query = (select(DispenseNoteRow.cassette_id, func.sum(DispenseNoteRow.picked))
                 .join(DispenseRow, DispenseRow.id == DispenseNoteRow.dispense_id)
                 .where(DispenseRow.terminal_id == terminal_id, DispenseRow.created_at >= since)
                 .group_by(DispenseNoteRow.cassette_id))
        return {cassette_id: int(total or 0) for cassette_id, total in self.session.execute(query)}

    def picked_since_by_terminal(self, terminal_ids: list[str], since: datetime
                                 ) -> dict[str, dict[str, int]]:
        """Return terminal id -> cassette id -> notes picked by dispenses started since
        `since`, for the terminals `terminal_ids` (a fleet page); one statement."""
        if not terminal_ids:
            return {}
        query = (select(DispenseRow.terminal_id, DispenseNoteRow.cassette_id,
                        func.sum(DispenseNoteRow.picked))
                 .join(DispenseRow, DispenseRow.id == DispenseNoteRow.dispense_id)
                 .where(DispenseRow.terminal_id.in_(terminal_ids),
                        DispenseRow.created_at >= since)
                 .group_by(DispenseRow.terminal_id, DispenseNoteRow.cassette_id))
        found: dict[str, dict[str, int]] = {}
        for terminal_id, cassette_id, total in self.session.execute(query):
            found.setdefault(terminal_id, {})[cassette_id] = int(total or 0)
        return found

    def history(self, terminal_id: str, since: datetime
                ) -> list[tuple[datetime, int, Preference, bool]]:
        """Return (started at, amount, the wish, whether it was met exactly) of the terminal's
        dispenses started since `since` that did not fail, oldest first."""
        query = (select(DispenseRow.created_at, DispenseRow.amount, QuoteRow.preference,
                        QuoteRow.plan)
                 .join(QuoteRow, QuoteRow.id == DispenseRow.quote_id)
                 .where(DispenseRow.terminal_id == terminal_id, DispenseRow.created_at >= since,
                        DispenseRow.state != DispenseState.FAILED.value)
                 .order_by(DispenseRow.created_at, DispenseRow.id))
        return [(at, amount, Preference.from_mapping(preference), bool(plan.get("exact")))
                for at, amount, preference, plan in self.session.execute(query)]

    def newest_start(self, terminal_id: str) -> datetime | None:
        """Return when the terminal's newest dispense started, or None."""
        return self.session.scalar(select(func.max(DispenseRow.created_at))
                                   .where(DispenseRow.terminal_id == terminal_id))

    def all(self, terminal_id: str) -> list[Dispense]:
        """Return every dispense of the terminal with its notes, oldest first (the audit)."""
        rows = list(self.session.scalars(
            select(DispenseRow).where(DispenseRow.terminal_id == terminal_id)
            .order_by(DispenseRow.created_at, DispenseRow.id)))
        notes: dict[str, list[NoteOutcome]] = {}
        query = (select(DispenseNoteRow).join(DispenseRow,
                                               DispenseRow.id == DispenseNoteRow.dispense_id)
                 .where(DispenseRow.terminal_id == terminal_id)
                 .order_by(DispenseNoteRow.cassette_id))
        for note in self.session.scalars(query):
            notes.setdefault(note.dispense_id, []).append(note.to_domain())
        return [Dispense(row.id, row.terminal_id, row.quote_id,
                         Amount(row.amount, row.currency), DispenseState(row.state),
                         tuple(notes.get(row.id, ())), row.created_at, row.updated_at,
                         row.error) for row in rows]

    def in_flight(self, terminal_id: str) -> list[tuple[Dispense, str]]:
        """Return the terminal's dispenses still in flight with their owners, oldest first."""
        query = (select(DispenseRow)
                 .where(DispenseRow.terminal_id == terminal_id,
                        DispenseRow.state == str(DispenseState.IN_FLIGHT))
                 .order_by(DispenseRow.created_at))
        return [(self._load(row), row.owner) for row in self.session.scalars(query)]

    def _save_notes(self, dispense: Dispense) -> None:
        # Core, keyed by terminal too: an update per note, an insert for a cassette the
        # dispense had not used yet (a re-plan after a jam).
        self.session.flush()
        connection = self.session.connection()
        for note in dispense.notes:
            values = DispenseNoteRow.values_of(dispense.terminal_id, dispense.id, note)
            changed = connection.execute(
                update(_DISPENSE_NOTES).where(
                    _DISPENSE_NOTES.c.terminal_id == dispense.terminal_id,
                    _DISPENSE_NOTES.c.dispense_id == dispense.id,
                    _DISPENSE_NOTES.c.cassette_id == note.cassette_id).values(values))
            if not changed.rowcount:
                connection.execute(insert(_DISPENSE_NOTES).values(values))
        self.session.expire_all()

    def _load(self, row: DispenseRow) -> Dispense:
        query = (select(DispenseNoteRow).where(DispenseNoteRow.terminal_id == row.terminal_id,
                                               DispenseNoteRow.dispense_id == row.id)
                 .order_by(DispenseNoteRow.cassette_id))
        notes = tuple(n.to_domain() for n in self.session.scalars(query))
        return Dispense(row.id, row.terminal_id, row.quote_id, Amount(row.amount, row.currency),
                        DispenseState(row.state), notes, row.created_at, row.updated_at,
                        row.error)


class IdempotencyRepository:
    """Idempotency keys of dispenses: key -> body hash and the dispense it started."""

    def __init__(self, session: Session):
        self.session = session

    def find(self, terminal_id: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, dispense id) for the key, or None when it is new."""
        row = self.session.get(IdempotencyRow, (terminal_id, key))
        return None if row is None else (row.request_hash, row.dispense_id)

    def add(self, terminal_id: str, key: str, request_hash: str, dispense_id: str,
            at: datetime) -> None:
        """Remember that `key` with `request_hash` started `dispense_id`."""
        self.session.add(IdempotencyRow(terminal_id=terminal_id, key=key,
                                        request_hash=request_hash, dispense_id=dispense_id,
                                        created_at=at))
        self.session.flush()


class AuthorizationRepository:
    """Host authorizations already spent."""

    def __init__(self, session: Session):
        self.session = session

    def used(self, terminal_id: str, signature: str) -> bool:
        """Return True when the signature was spent before on the terminal (a signature
        covers its terminal id: on another terminal it is no authorization at all)."""
        return self.session.scalar(select(func.count()).select_from(UsedAuthorizationRow).where(
            UsedAuthorizationRow.terminal_id == terminal_id,
            UsedAuthorizationRow.signature == signature.lower())) > 0

    def per_quote(self, terminal_id: str) -> dict[str, int]:
        """Return quote id -> host authorizations spent on it, for the terminal."""
        query = (select(UsedAuthorizationRow.quote_id, func.count())
                 .where(UsedAuthorizationRow.terminal_id == terminal_id)
                 .group_by(UsedAuthorizationRow.quote_id))
        return {quote_id: int(n) for quote_id, n in self.session.execute(query)}

    def spend(self, terminal_id: str, quote_id: str, signature: str, at: datetime) -> None:
        """Record the signature as spent."""
        self.session.add(UsedAuthorizationRow(signature=signature.lower(),
                                              terminal_id=terminal_id, quote_id=quote_id,
                                              used_at=at))
        self.session.flush()


class JournalRepository:
    """The append-only audit journal."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, entry: JournalEntry) -> None:
        """Append an entry."""
        self.session.add(JournalRow.from_domain(entry))
        self.session.flush()

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
