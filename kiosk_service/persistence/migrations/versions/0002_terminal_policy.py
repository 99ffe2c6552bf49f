"""Terminals keep their dispensing policy (JSON text; NULL: every kind, no reserve).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns): a batch copy of `terminals` would trip the
# foreign keys of every table that references it.
def upgrade() -> None:
    op.add_column('terminals', sa.Column('policy', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('terminals', 'policy')
