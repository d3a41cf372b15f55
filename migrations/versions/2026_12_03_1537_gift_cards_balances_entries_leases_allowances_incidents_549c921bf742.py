"""gift cards: balances (HQ), their entries with idempotency keys, stores' offline leases and allowances,
incidents for offline spends HQ could not honour

Revision ID: 549c921bf742
Revises: b7e1a2c3d4f5
Create Date: 2026-12-03 15:37:33.060880+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '549c921bf742'
down_revision = 'b7e1a2c3d4f5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gift_card',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('initial_amount', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('sale_id', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('issue_key', sa.String(length=200), nullable=True),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_gift_card_balance_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_card')),
    sa.UniqueConstraint('code', name=op.f('uq_gift_card_code')),
    sa.UniqueConstraint('issue_key', name=op.f('uq_gift_card_issue_key'))
    )
    with op.batch_alter_table('gift_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_card_expires_at'), ['expires_at'], unique=False)

    op.create_table('gift_card_allowance',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('card_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('card_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_gift_card_allowance'))
    )
    op.create_table('gift_card_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('card_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=100), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['gift_card.id'], name=op.f('fk_gift_card_entry_card_id_gift_card')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_card_entry')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_gift_card_entry_idempotency_key'))
    )
    with op.batch_alter_table('gift_card_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_card_entry_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gift_card_entry_created_at'), ['created_at'], unique=False)

    op.create_table('gift_card_incident',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('card_id', sa.Uuid(), nullable=False),
    sa.Column('store', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('asked', sa.BigInteger(), nullable=False),
    sa.Column('taken', sa.BigInteger(), nullable=False),
    sa.Column('short', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['gift_card.id'], name=op.f('fk_gift_card_incident_card_id_gift_card')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_card_incident')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_gift_card_incident_idempotency_key'))
    )
    with op.batch_alter_table('gift_card_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_card_incident_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gift_card_incident_status'), ['status'], unique=False)

    op.create_table('gift_card_lease',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('card_id', sa.Uuid(), nullable=False),
    sa.Column('store', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_gift_card_lease_lease_not_negative')),
    sa.ForeignKeyConstraint(['card_id'], ['gift_card.id'], name=op.f('fk_gift_card_lease_card_id_gift_card')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_card_lease')),
    sa.UniqueConstraint('card_id', 'store', name=op.f('uq_gift_card_lease_card_id_store'))
    )
    with op.batch_alter_table('gift_card_lease', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_card_lease_card_id'), ['card_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gift_card_lease', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_card_lease_card_id'))

    op.drop_table('gift_card_lease')
    with op.batch_alter_table('gift_card_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_card_incident_status'))
        batch_op.drop_index(batch_op.f('ix_gift_card_incident_card_id'))

    op.drop_table('gift_card_incident')
    with op.batch_alter_table('gift_card_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_card_entry_created_at'))
        batch_op.drop_index(batch_op.f('ix_gift_card_entry_card_id'))

    op.drop_table('gift_card_entry')
    op.drop_table('gift_card_allowance')
    with op.batch_alter_table('gift_card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_card_expires_at'))

    op.drop_table('gift_card')
