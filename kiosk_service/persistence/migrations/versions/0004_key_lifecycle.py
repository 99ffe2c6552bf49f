"""API keys expire and are revoked; failed authentications are counted per bucket.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kiosk_service.persistence.database import UtcDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# Plain ALTER TABLE for the nullable columns, as in 0002 and 0003.
def upgrade() -> None:
    op.add_column('api_keys', sa.Column('expires_at', UtcDateTime(), nullable=True))
    op.add_column('api_keys', sa.Column('revoked_at', UtcDateTime(), nullable=True))
    op.create_table('auth_failures',
                    sa.Column('bucket', sa.String(length=100), nullable=False),
                    sa.Column('window_start', UtcDateTime(), nullable=False),
                    sa.Column('failures', sa.Integer(), nullable=False),
                    sa.Column('blocked_until', UtcDateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('bucket'))
    op.create_index('ix_auth_failures_window', 'auth_failures', ['window_start'])


def downgrade() -> None:
    op.drop_index('ix_auth_failures_window', table_name='auth_failures')
    op.drop_table('auth_failures')
    op.drop_column('api_keys', 'revoked_at')
    op.drop_column('api_keys', 'expires_at')
