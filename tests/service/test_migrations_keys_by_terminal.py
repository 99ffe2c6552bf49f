"""Migration 0007 (keys by terminal) keeps every row, down to 0006 and up again, and the
service works on what it leaves; on SQLite, or on PostgreSQL with CASHMIX_TEST_DATABASE_URL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from kiosk_service.persistence.migrate import alembic_config, upgrade_database


def test_rows_survive_the_downgrade_and_the_upgrade(app, client, keys, kiosk, staff, caller):
    engine = app.extensions["cashmix"].engine
    _traffic(kiosk, staff)
    vienna = caller(client, keys["other_kiosk"], terminal="vienna-eur")
    assert vienna.quote(5000, currency="EUR").status_code == 201
    before = _rows(engine)
    assert all(before[table] for table in ("quotes", "quote_notes", "dispenses",
                                           "dispense_notes", "idempotency_keys",
                                           "used_authorizations", "journal", "api_keys"))

    _downgrade(engine, "0006")
    assert _primary_key(engine, "quotes") == ["id"]
    assert _rows(engine) == before
    # A note written by a process of the release before 0006, after 0006 ran.
    _set_dispense_notes_terminal(engine, None)

    upgrade_database(engine)
    assert _primary_key(engine, "quotes") == ["terminal_id", "id"]
    assert _rows(engine) == before


def test_the_service_works_on_the_migrated_keys(app, kiosk, staff):
    engine = app.extensions["cashmix"].engine
    _traffic(kiosk, staff)
    _downgrade(engine, "0006")
    upgrade_database(engine)
    newest = max(e["id"] for e in _journal(staff))

    _traffic(kiosk, staff, idempotency_key="k-2")
    ids = [e["id"] for e in _journal(staff)]
    # Journal ids stay unique and increasing after the key changed (tables.NextJournalId).
    assert ids == sorted(set(ids)) and ids[-1] > newest
    assert _journal(staff)[-1]["kind"] == "dispense_finished"


def test_a_note_cannot_name_another_terminals_dispense(app, kiosk, staff):
    engine = app.extensions["cashmix"].engine
    _traffic(kiosk, staff)
    _downgrade(engine, "0006")
    upgrade_database(engine)
    with engine.connect() as connection:
        notes = Table("dispense_notes", MetaData(), autoload_with=connection)
        note = dict(connection.execute(select(notes)).first()._mapping)
        # The foreign key is on (terminal_id, dispense_id): no such dispense on vienna-eur.
        with pytest.raises(IntegrityError):
            connection.execute(insert(notes).values(note | {"terminal_id": "vienna-eur"}))


def _traffic(kiosk, staff, idempotency_key: str = "k-1") -> None:
    """A dispensed quote, a held one and a staff change: a row in every growing table."""
    staff.patch("/cassettes/A", {"count": 300, "reason": "recount"})
    quote = kiosk.quote(350000).get_json()
    assert kiosk.dispense(quote, key=idempotency_key).status_code == 201
    assert kiosk.quote(150000, {"kind": "small"}).status_code == 201


def _journal(staff) -> list[dict[str, Any]]:
    return staff.get("/journal?page_size=500").get_json()["items"]


def _downgrade(engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _primary_key(engine, table: str) -> list[str]:
    return inspect(engine).get_pk_constraint(table)["constrained_columns"]


def _set_dispense_notes_terminal(engine, value: str | None) -> None:
    with engine.begin() as connection:
        notes = Table("dispense_notes", MetaData(), autoload_with=connection)
        connection.execute(update(notes).values(terminal_id=value))


def _rows(engine) -> dict[str, list[str]]:
    """Return table -> its rows (column -> value, printed), sorted: the data, whatever the
    keys."""
    found = {}
    with engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            if name == "alembic_version":
                continue
            table = Table(name, MetaData(), autoload_with=connection)
            found[name] = sorted(repr(sorted(row._mapping.items()))
                                 for row in connection.execute(select(table)))
    return found
