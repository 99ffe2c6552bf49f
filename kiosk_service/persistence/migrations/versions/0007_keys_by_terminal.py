"""Every growing table is keyed by terminal first, so it can be distributed by terminal (Citus).

Contract step of 0006's expand (docs/deploy.md, "Migrations on a live fleet"): run it once no
process of a release before 0006 runs. dispense_notes.terminal_id is filled where still
empty and made NOT NULL; the primary keys, the unique constraint and the foreign keys between
quotes, quote_notes, dispenses, dispense_notes, idempotency_keys, used_authorizations and the
journal all start with terminal_id; api_keys loses its foreign key to terminals (a reference
table cannot point into a distributed one). Then docs/deploy/citus.sql distributes them.

In two passes: first every key changes with the foreign keys that point at a changing key
dropped, then those foreign keys come back on (terminal_id, ...). PostgreSQL can only drop a
primary key once no foreign key depends on it; SQLite's batch mode copies a table, drops it
and renames the copy, and with foreign keys on SQLite refuses to drop a table whose rows
other rows reference.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Names for the constraints 0001 left unnamed, as PostgreSQL named them; SQLite's batch mode
# reflects them unnamed and gives them the same names by this convention.
NAMING = {'pk': '%(table_name)s_pkey', 'fk': '%(table_name)s_%(column_0_name)s_fkey',
          'uq': '%(table_name)s_%(column_0_name)s_key'}


def _batch(table: str):
    return op.batch_alter_table(table, naming_convention=NAMING)


def _primary_key(batch, table: str, columns: list[str]) -> None:
    batch.drop_constraint(f'{table}_pkey', type_='primary')
    batch.create_primary_key(f'{table}_pkey', columns)


def upgrade() -> None:
    # Rows written by a process of the release before 0006 after 0006 ran.
    op.execute("UPDATE dispense_notes SET terminal_id = (SELECT dispenses.terminal_id FROM "
               "dispenses WHERE dispenses.id = dispense_notes.dispense_id) "
               "WHERE terminal_id IS NULL")
    with _batch('dispense_notes') as batch:
        batch.drop_constraint('dispense_notes_dispense_id_fkey', type_='foreignkey')
        batch.alter_column('terminal_id', existing_type=sa.String(length=64), nullable=False)
        _primary_key(batch, 'dispense_notes', ['terminal_id', 'dispense_id', 'cassette_id'])
        # The primary key now starts with (terminal_id, dispense_id).
        batch.drop_index('ix_dispense_notes_terminal')
    with _batch('idempotency_keys') as batch:
        batch.drop_constraint('idempotency_keys_dispense_id_fkey', type_='foreignkey')
    with _batch('quote_notes') as batch:
        batch.drop_constraint('quote_notes_quote_id_fkey', type_='foreignkey')
        _primary_key(batch, 'quote_notes', ['terminal_id', 'quote_id', 'cassette_id'])
    with _batch('dispenses') as batch:
        batch.drop_constraint('dispenses_quote_id_fkey', type_='foreignkey')
        batch.drop_constraint('dispenses_quote_id_key', type_='unique')
        _primary_key(batch, 'dispenses', ['terminal_id', 'id'])
        batch.create_unique_constraint('dispenses_terminal_id_quote_id_key',
                                       ['terminal_id', 'quote_id'])
    with _batch('quotes') as batch:
        _primary_key(batch, 'quotes', ['terminal_id', 'id'])
    with _batch('used_authorizations') as batch:
        _primary_key(batch, 'used_authorizations', ['terminal_id', 'signature'])
    with _batch('journal') as batch:
        _primary_key(batch, 'journal', ['terminal_id', 'id'])
        # SQLite's next id is the largest plus one (tables.NextJournalId): found by this index.
        batch.create_index('ix_journal_id', ['id'])
    with _batch('api_keys') as batch:
        batch.drop_constraint('api_keys_terminal_id_fkey', type_='foreignkey')

    with _batch('dispenses') as batch:
        batch.create_foreign_key('dispenses_terminal_id_quote_id_fkey', 'quotes',
                                 ['terminal_id', 'quote_id'], ['terminal_id', 'id'])
    for table, parent, column in (('dispense_notes', 'dispenses', 'dispense_id'),
                                  ('idempotency_keys', 'dispenses', 'dispense_id'),
                                  ('quote_notes', 'quotes', 'quote_id')):
        with _batch(table) as batch:
            batch.create_foreign_key(f'{table}_terminal_id_{column}_fkey', parent,
                                     ['terminal_id', column], ['terminal_id', 'id'])


def downgrade() -> None:
    for table, column in (('quote_notes', 'quote_id'), ('idempotency_keys', 'dispense_id'),
                          ('dispense_notes', 'dispense_id'), ('dispenses', 'quote_id')):
        with _batch(table) as batch:
            batch.drop_constraint(f'{table}_terminal_id_{column}_fkey', type_='foreignkey')

    with _batch('api_keys') as batch:
        batch.create_foreign_key('api_keys_terminal_id_fkey', 'terminals',
                                 ['terminal_id'], ['id'])
    with _batch('journal') as batch:
        batch.drop_index('ix_journal_id')
        _primary_key(batch, 'journal', ['id'])
    with _batch('used_authorizations') as batch:
        _primary_key(batch, 'used_authorizations', ['signature'])
    with _batch('quotes') as batch:
        _primary_key(batch, 'quotes', ['id'])
    with _batch('dispenses') as batch:
        batch.drop_constraint('dispenses_terminal_id_quote_id_key', type_='unique')
        _primary_key(batch, 'dispenses', ['id'])
        batch.create_unique_constraint('dispenses_quote_id_key', ['quote_id'])
        batch.create_foreign_key('dispenses_quote_id_fkey', 'quotes', ['quote_id'], ['id'])
    with _batch('quote_notes') as batch:
        _primary_key(batch, 'quote_notes', ['quote_id', 'cassette_id'])
        batch.create_foreign_key('quote_notes_quote_id_fkey', 'quotes', ['quote_id'], ['id'])
    with _batch('idempotency_keys') as batch:
        batch.create_foreign_key('idempotency_keys_dispense_id_fkey', 'dispenses',
                                 ['dispense_id'], ['id'])
    with _batch('dispense_notes') as batch:
        _primary_key(batch, 'dispense_notes', ['dispense_id', 'cassette_id'])
        batch.alter_column('terminal_id', existing_type=sa.String(length=64), nullable=True)
        batch.create_foreign_key('dispense_notes_dispense_id_fkey', 'dispenses',
                                 ['dispense_id'], ['id'])
        batch.create_index('ix_dispense_notes_terminal', ['terminal_id', 'dispense_id'])
