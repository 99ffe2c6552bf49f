"""Dispenses and their note-by-note outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update

from denomination.money import Amount
from denomination.preferences import Preference
from kiosk_service.errors import NotFound
from kiosk_service.persistence.repositories.base import Repository
from kiosk_service.persistence.tables import DispenseNoteRow, DispenseRow, QuoteRow
from kiosk_service.records import Dispense, DispenseState, NoteOutcome

_DISPENSES = DispenseRow.__table__
_DISPENSE_NOTES = DispenseNoteRow.__table__
# Joins on the whole foreign key, terminal first: under Citus a join of distributed tables
# stays on one shard only when it pairs their distribution columns (docs/deploy.md).
_OF_DISPENSE = and_(DispenseRow.terminal_id == DispenseNoteRow.terminal_id,
                    DispenseRow.id == DispenseNoteRow.dispense_id)
_OF_QUOTE = and_(QuoteRow.terminal_id == DispenseRow.terminal_id,
                 QuoteRow.id == DispenseRow.quote_id)
# Prebuilt Core statements for every dispense's own rows (built once: building costs more
# than running them).
_INSERT_DISPENSE = insert(_DISPENSES)
_DISPENSE = select(_DISPENSES).where(_DISPENSES.c.terminal_id == bindparam("terminal"),
                                     _DISPENSES.c.id == bindparam("dispense"))
_SAVE_DISPENSE = (update(_DISPENSES)
                  .where(_DISPENSES.c.terminal_id == bindparam("terminal"),
                         _DISPENSES.c.id == bindparam("dispense"))
                  .values(state=bindparam("new_state"), error=bindparam("new_error"),
                          updated_at=bindparam("new_updated_at")))
_NOTES = (select(_DISPENSE_NOTES)
          .where(_DISPENSE_NOTES.c.terminal_id == bindparam("terminal"),
                 _DISPENSE_NOTES.c.dispense_id == bindparam("dispense"))
          .order_by(_DISPENSE_NOTES.c.cassette_id))
_LATEST = (select(_DISPENSES.c.id).where(_DISPENSES.c.terminal_id == bindparam("terminal"))
           .order_by(_DISPENSES.c.created_at.desc(), _DISPENSES.c.id.desc()).limit(1))
# Every dispense first settles what a dead process left in flight on its terminal.
_IN_FLIGHT = (select(_DISPENSES)
              .where(_DISPENSES.c.terminal_id == bindparam("terminal"),
                     _DISPENSES.c.state == str(DispenseState.IN_FLIGHT))
              .order_by(_DISPENSES.c.created_at))
_OUTCOME = ("denomination", "planned", "picked", "stacked", "presented", "taken", "retracted",
            "rejected", "unknown")
_INSERT_NOTES = insert(_DISPENSE_NOTES)
_SAVE_NOTE = (update(_DISPENSE_NOTES)
              .where(_DISPENSE_NOTES.c.terminal_id == bindparam("terminal"),
                     _DISPENSE_NOTES.c.dispense_id == bindparam("dispense"),
                     _DISPENSE_NOTES.c.cassette_id == bindparam("cassette"))
              .values({name: bindparam(f"new_{name}") for name in _OUTCOME}))


class DispenseRepository(Repository):
    """Dispenses and their note-by-note outcomes."""

    def add(self, dispense: Dispense, *, device_before: Mapping[str, Any],
            complete_from_others: bool, owner: str) -> None:
        """Store a new dispense (normally in flight) with the device counters before it."""
        self._execute(_INSERT_DISPENSE, {
            "id": dispense.id, "terminal_id": dispense.terminal_id,
            "quote_id": dispense.quote_id, "amount": dispense.amount.value,
            "currency": dispense.amount.currency, "state": str(dispense.state),
            "error": dispense.error, "device_before": dict(device_before),
            "complete_from_others": complete_from_others, "owner": owner,
            "created_at": dispense.created_at, "updated_at": dispense.updated_at})
        if dispense.notes:
            self._execute(_INSERT_NOTES, [
                DispenseNoteRow.values_of(dispense.terminal_id, dispense.id, note)
                for note in dispense.notes])

    def save(self, dispense: Dispense) -> None:
        """Store the dispense's new state and outcome."""
        self._execute(_SAVE_DISPENSE, {
            "terminal": dispense.terminal_id, "dispense": dispense.id,
            "new_state": str(dispense.state), "new_error": dispense.error,
            "new_updated_at": dispense.updated_at})
        # An update per note, an insert for a cassette the dispense had not used yet (a
        # re-plan after a jam).
        for note in dispense.notes:
            changed = self._execute(_SAVE_NOTE, {
                "terminal": dispense.terminal_id, "dispense": dispense.id,
                "cassette": note.cassette_id,
                **{f"new_{name}": getattr(note, name) for name in _OUTCOME}})
            if not changed.rowcount:
                self._execute(_INSERT_NOTES, DispenseNoteRow.values_of(
                    dispense.terminal_id, dispense.id, note))
        self.session.expire_all()

    def get(self, terminal_id: str, dispense_id: str) -> Dispense:
        """Return the dispense; raises NotFound (`not_found`)."""
        return self._load(self._row(terminal_id, dispense_id))

    def device_before(self, terminal_id: str, dispense_id: str) -> dict[str, Any]:
        """Return the device counters recorded when the dispense started."""
        return dict(self._row(terminal_id, dispense_id).device_before or {})

    def _row(self, terminal_id: str, dispense_id: str) -> Any:
        row = self._execute(_DISPENSE, {"terminal": terminal_id,
                                        "dispense": dispense_id}).one_or_none()
        if row is None:
            raise NotFound(f"Terminal {terminal_id} has no dispense {dispense_id}.",
                           dispense=dispense_id)
        return row

    def latest_id(self, terminal_id: str) -> str | None:
        """Return the id of the terminal's newest dispense, or None."""
        return self._execute(_LATEST, {"terminal": terminal_id}).scalar()

    def picked_since(self, terminal_id: str, since: datetime) -> dict[str, int]:
        """Return cassette id -> notes picked by the terminal's dispenses started since `since`."""
        query = (select(DispenseNoteRow.cassette_id, func.sum(DispenseNoteRow.picked))
                 .join(DispenseRow, _OF_DISPENSE)
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
                 .join(DispenseRow, _OF_DISPENSE)
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
                 .join(QuoteRow, _OF_QUOTE)
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
        rows = self._execute(select(_DISPENSES).where(_DISPENSES.c.terminal_id == terminal_id)
                             .order_by(_DISPENSES.c.created_at, _DISPENSES.c.id)).all()
        notes: dict[str, list[NoteOutcome]] = {}
        query = (select(_DISPENSE_NOTES).join(DispenseRow, _OF_DISPENSE)
                 .where(DispenseRow.terminal_id == terminal_id)
                 .order_by(_DISPENSE_NOTES.c.cassette_id))
        for note in self._execute(query):
            notes.setdefault(note.dispense_id, []).append(_note_of(note))
        return [_dispense_of(row, notes.get(row.id, ())) for row in rows]

    def in_flight(self, terminal_id: str) -> list[tuple[Dispense, str]]:
        """Return the terminal's dispenses still in flight with their owners, oldest first."""
        rows = self._execute(_IN_FLIGHT, {"terminal": terminal_id}).all()
        return [(self._load(row), row.owner) for row in rows]

    def _load(self, row: Any) -> Dispense:
        """The dispense of a dispenses row with its notes."""
        return _dispense_of(row, [_note_of(n) for n in self._execute(_NOTES, {
            "terminal": row.terminal_id, "dispense": row.id})])


def _note_of(row: Any) -> NoteOutcome:
    return NoteOutcome(row.cassette_id, *(getattr(row, name) for name in _OUTCOME))


def _dispense_of(row: Any, notes: Sequence[NoteOutcome]) -> Dispense:
    return Dispense(row.id, row.terminal_id, row.quote_id, Amount(row.amount, row.currency),
                    DispenseState(row.state), tuple(notes), row.created_at, row.updated_at,
                    row.error)
