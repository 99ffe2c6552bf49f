"""Quotes and the notes they hold (the cassettes' held counters)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update

from denomination.money import Amount
from denomination.preferences import Preference
from kiosk_service.errors import NotFound
from kiosk_service.persistence.codecs import plan_from_json, plan_to_json
from kiosk_service.persistence.repositories.base import DriverStatement, Repository
from kiosk_service.persistence.tables import CassetteRow, QuoteNoteRow, QuoteRow
from kiosk_service.records import Quote, QuoteStatus

_CASSETTES = CassetteRow.__table__
_QUOTES = QuoteRow.__table__
_QUOTE_NOTES = QuoteNoteRow.__table__

# Every held quote's three writes, straight to the driver.
_ADD_HELD = DriverStatement(update(_CASSETTES)
                            .where(_CASSETTES.c.terminal_id == bindparam("terminal"),
                                   _CASSETTES.c.id == bindparam("cassette"))
                            .values(held=_CASSETTES.c.held + bindparam("notes")))
_INSERT_QUOTE = DriverStatement(insert(_QUOTES))
_INSERT_QUOTE_NOTES = DriverStatement(insert(_QUOTE_NOTES))
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


class QuoteRepository(Repository):
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

    def add(self, quote: Quote) -> None:
        """Store a new quote and its hold."""
        self._send(_INSERT_QUOTE, [{
            "id": quote.id, "terminal_id": quote.terminal_id, "amount": quote.amount.value,
            "currency": quote.amount.currency,
            "preference": quote.preference.to_mapping(),
            "plan": plan_to_json(quote.plan),
            "alternatives": [plan_to_json(p) for p in quote.alternatives],
            "status": str(quote.status), "created_at": quote.created_at,
            "expires_at": quote.expires_at}])
        self._hold(quote.id, quote.terminal_id, quote.plan.by_cassette)

    def get(self, terminal_id: str, quote_id: str) -> Quote:
        """Return the quote; raises NotFound (`not_found`)."""
        row = self._execute(_QUOTE, {"terminal": terminal_id,
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
        marked = self._execute(_MARK_DISPENSED, {"terminal": terminal_id,
                                                 "quote": quote_id}).first()
        if marked is not None:
            self._unhold(terminal_id, [quote_id])
        else:
            self.get(terminal_id, quote_id)     # NotFound, unless dispensed before
        self.session.expire_all()

    def _set_status(self, terminal_id: str, quote_ids: list[str], status: QuoteStatus) -> None:
        # Core, by terminal and id: every statement names its terminal (docs/deploy.md, Citus).
        self._execute(_SET_STATUS, {"terminal": terminal_id, "quotes": quote_ids,
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
        released = dict(self._execute(_RELEASE_EXPIRED, params).all())
        self._execute(_MARK_EXPIRED, params)
        return released

    def held_counters(self, terminal_id: str) -> dict[str, int]:
        """Return cassette id -> held notes from the counters (exact after release_expired)."""
        return dict(self._execute(_HELD_COUNTERS, {"terminal": terminal_id}).all())

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
            self._send(_INSERT_QUOTE_NOTES, [
                {"quote_id": quote_id, "cassette_id": cassette_id, "terminal_id": terminal_id,
                 "count": count} for cassette_id, count in held.items()])
            self._send(_ADD_HELD, [
                {"terminal": terminal_id, "cassette": c, "notes": n} for c, n in held.items()])

    def _unhold(self, terminal_id: str, quote_ids: list[str]) -> None:
        self._execute(_RELEASE_QUOTES, {"terminal": terminal_id, "quotes": quote_ids})
