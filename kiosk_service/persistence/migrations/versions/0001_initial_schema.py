"""Initial schema: terminals, cassettes, quotes and holds, dispenses, journal, keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kiosk_service.persistence.database import UtcDateTime

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('journal',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index('ix_journal_terminal_at', ['terminal_id', 'at'], unique=False)
        batch_op.create_index('ix_journal_terminal_kind', ['terminal_id', 'kind', 'id'],
                              unique=False)

    op.create_table('terminals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('note_limit', sa.Integer(), nullable=False),
    sa.Column('host_secret_env', sa.String(length=200), nullable=True),
    sa.Column('dispenser_url', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('terminal_id', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('cassettes',
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('denomination', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('low_threshold', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], ),
    sa.PrimaryKeyConstraint('terminal_id', 'id')
    )
    op.create_table('quotes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('preference', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('alternatives', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('expires_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index('ix_quotes_live', ['terminal_id', 'status', 'expires_at'],
                              unique=False)

    op.create_table('used_authorizations',
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('quote_id', sa.String(length=32), nullable=False),
    sa.Column('used_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], ),
    sa.PrimaryKeyConstraint('signature')
    )
    op.create_table('dispenses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('quote_id', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('error', sa.String(length=64), nullable=True),
    sa.Column('device_before', sa.JSON(), nullable=False),
    sa.Column('complete_from_others', sa.Boolean(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], ),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quote_id')
    )
    with op.batch_alter_table('dispenses', schema=None) as batch_op:
        batch_op.create_index('ix_dispenses_terminal_state', ['terminal_id', 'state'], unique=False)

    op.create_table('quote_notes',
    sa.Column('quote_id', sa.String(length=32), nullable=False),
    sa.Column('cassette_id', sa.String(length=64), nullable=False),
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], ),
    sa.PrimaryKeyConstraint('quote_id', 'cassette_id')
    )
    op.create_table('dispense_notes',
    sa.Column('dispense_id', sa.String(length=32), nullable=False),
    sa.Column('cassette_id', sa.String(length=64), nullable=False),
    sa.Column('denomination', sa.BigInteger(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('picked', sa.Integer(), nullable=False),
    sa.Column('stacked', sa.Integer(), nullable=False),
    sa.Column('presented', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('retracted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('unknown', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dispense_id'], ['dispenses.id'], ),
    sa.PrimaryKeyConstraint('dispense_id', 'cassette_id')
    )
    op.create_table('idempotency_keys',
    sa.Column('terminal_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('dispense_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dispense_id'], ['dispenses.id'], ),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], ),
    sa.PrimaryKeyConstraint('terminal_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    op.drop_table('dispense_notes')
    op.drop_table('quote_notes')
    with op.batch_alter_table('dispenses', schema=None) as batch_op:
        batch_op.drop_index('ix_dispenses_terminal_state')

    op.drop_table('dispenses')
    op.drop_table('used_authorizations')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index('ix_quotes_live')

    op.drop_table('quotes')
    op.drop_table('cassettes')
    op.drop_table('api_keys')
    op.drop_table('terminals')
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_terminal_kind')
        batch_op.drop_index('ix_journal_terminal_at')

    op.drop_table('journal')
