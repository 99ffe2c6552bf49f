"""Terminals carry an optional region (branch or area) from their file, for fleet views.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# Expand only: a nullable column and an index, no table copy, nothing an older process reads.
def upgrade() -> None:
    op.add_column('terminals', sa.Column('region', sa.String(length=64), nullable=True))
    op.create_index('ix_terminals_region', 'terminals', ['region', 'id'])


def downgrade() -> None:
    op.drop_index('ix_terminals_region', table_name='terminals')
    op.drop_column('terminals', 'region')
