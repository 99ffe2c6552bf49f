"""Dispense notes carry their terminal, so every growing table has terminal_id (Citus).

Expand step of an expand/contract change (docs/deploy.md): a nullable column, filled from
the dispenses, and an index. Processes of the previous release keep working (they neither
read nor write it); a later contract migration makes it NOT NULL and part of the key once no
such process runs.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dispense_notes', sa.Column('terminal_id', sa.String(length=64),
                                              nullable=True))
    op.execute("UPDATE dispense_notes SET terminal_id = (SELECT dispenses.terminal_id FROM "
               "dispenses WHERE dispenses.id = dispense_notes.dispense_id) "
               "WHERE terminal_id IS NULL")
    # IF NOT EXISTS: on a large database the index is built CONCURRENTLY by hand first.
    op.create_index('ix_dispense_notes_terminal', 'dispense_notes',
                    ['terminal_id', 'dispense_id'], if_not_exists=True)


def downgrade() -> None:
    op.drop_index('ix_dispense_notes_terminal', table_name='dispense_notes')
    op.drop_column('dispense_notes', 'terminal_id')
