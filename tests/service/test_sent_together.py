"""SqlUnitOfWork.sent_together: the writes sent inside land as sent one by one would (on
PostgreSQL in one round trip), and a failing one fails the block, so the commit after it
never runs and nothing of the block is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from kiosk_service.persistence.repositories.base import DriverStatement
from kiosk_service.persistence.tables import QuoteRow
from tests.service.test_driver_statements import _row

QUOTES = QuoteRow.__table__
INSERT = DriverStatement(insert(QUOTES))


def _count(app) -> int:
    with app.extensions["cashmix"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(QUOTES)).scalar_one()


def _send(uow, quote_ids: list[str]) -> None:
    for quote_id in quote_ids:
        uow.quotes._send(INSERT, [_row(quote_id)])


def test_the_writes_inside_are_committed_after_the_block(app):
    uow = app.extensions["cashmix"].unit_of_work()
    before = _count(app)
    with uow:
        uow.terminals.get_for_update("demo-czk")
        with uow.sent_together():
            _send(uow, ["together-1", "together-2", "together-3"])
        uow.commit()
    assert _count(app) == before + 3


def test_a_failing_write_fails_the_block_and_nothing_is_stored(app):
    uow = app.extensions["cashmix"].unit_of_work()
    before = _count(app)
    # psycopg raises its own error at the pipeline's end, SQLAlchemy its wrapper at once.
    with uow, pytest.raises((DBAPIError, app.extensions["cashmix"].engine.dialect
                             .loaded_dbapi.Error)):
        uow.terminals.get_for_update("demo-czk")
        with uow.sent_together():
            _send(uow, ["twice", "twice", "after"])
        uow.commit()
    assert _count(app) == before
    with uow:        # the connection went back to the pool in working order
        assert uow.terminals.get("demo-czk").id == "demo-czk"
