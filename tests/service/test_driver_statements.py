"""DriverStatement stores what SQLAlchemy's own execution of the statement stores: the same
columns, to the stored byte (JSON text, UTC times), on the test database's dialect; and it
refuses a statement it cannot send as it is (a literal value, a list)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, text, update

from kiosk_service.persistence.repositories.base import DriverStatement
from kiosk_service.persistence.tables import QuoteRow

QUOTES = QuoteRow.__table__
PLAN = {"amount": 350000, "currency": "CZK", "kind": "fewest", "by_cassette": {"A": 1},
        "by_denomination": {"200000": 1}, "exact": True, "label": None, "reasons": [],
        "preference": None, "status": "optimal", "note": "naïve €"}


def _row(quote_id: str) -> dict:
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    return {"id": quote_id, "terminal_id": "demo-czk", "amount": 350000, "currency": "CZK",
            "preference": {"kind": "fewest"}, "plan": PLAN, "alternatives": [PLAN],
            "status": "held", "created_at": at, "expires_at": at}


def _stored(connection, quote_id: str) -> tuple:
    columns = ", ".join(f'CAST("{c.name}" AS TEXT)' for c in QUOTES.columns if c.name != "id")
    return tuple(connection.execute(text(f"SELECT {columns} FROM quotes WHERE id = :id"),
                                    {"id": quote_id}).one())


def test_it_stores_what_the_statement_stores(app):
    with app.extensions["cashmix"].engine.begin() as connection:
        connection.execute(insert(QUOTES), _row("by-core"))
        DriverStatement(insert(QUOTES)).send(connection, [_row("by-driver")])
        assert _stored(connection, "by-driver") == _stored(connection, "by-core")
        rows = [_row("many-1"), _row("many-2")]
        DriverStatement(insert(QUOTES)).send(connection, rows)
        renamed = (update(QUOTES).where(QUOTES.c.terminal_id == bindparam("terminal"),
                                        QUOTES.c.id == bindparam("quote"))
                   .values(status=bindparam("new_status")))
        DriverStatement(renamed).send(connection, [
            {"terminal": "demo-czk", "quote": "many-1", "new_status": "expired"},
            {"terminal": "demo-czk", "quote": "many-2", "new_status": "dispensed"}])
        statuses = dict(connection.execute(select(QUOTES.c.id, QUOTES.c.status)
                                           .where(QUOTES.c.id.like("many-%"))).all())
        assert statuses == {"many-1": "expired", "many-2": "dispensed"}


@pytest.mark.parametrize("statement", [
    update(QUOTES).where(QUOTES.c.status == "held").values(status=bindparam("new_status")),
    update(QUOTES).where(QUOTES.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=bindparam("new_status")),
])
def test_it_refuses_what_it_cannot_send_as_it_is(app, statement):
    with app.extensions["cashmix"].engine.begin() as connection, \
            pytest.raises(TypeError):
        DriverStatement(statement).send(connection, [{"new_status": "x", "ids": ["a"]}])
