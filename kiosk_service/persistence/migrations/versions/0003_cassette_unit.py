"""Cassettes keep the device's storage unit name when the terminal file names one (XFS4IoT).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, as in 0002: a nullable column needs no table copy on either database.
def upgrade() -> None:
    op.add_column('cassettes', sa.Column('unit', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('cassettes', 'unit')
