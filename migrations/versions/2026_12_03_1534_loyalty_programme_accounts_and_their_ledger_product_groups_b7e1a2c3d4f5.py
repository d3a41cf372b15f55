"""loyalty programme, accounts and their ledger; product groups

The shop's loyalty programme (rates, group multipliers, tiers), one account per customer whose balance is
the sum of its ledger (never below zero), and each entry once by its key.  Products get a group for the
programme's multipliers.

Revision ID: b7e1a2c3d4f5
Revises: a5c11e7b0d42
Create Date: 2026-12-03 15:34:50.117803+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'b7e1a2c3d4f5'
down_revision = 'a5c11e7b0d42'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('loyalty_programme',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('points_per_unit', sa.Integer(), nullable=False),
    sa.Column('point_value', sa.Integer(), nullable=False),
    sa.Column('rolling_days', sa.Integer(), nullable=False),
    sa.Column('group_multipliers', JSON, nullable=False),
    sa.Column('tiers', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_programme'))
    )
    op.create_table('loyalty_account',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_loyalty_account_balance_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_loyalty_account_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_account')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_loyalty_account_customer_id'))
    )
    op.create_table('loyalty_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('details', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['loyalty_account.id'], name=op.f('fk_loyalty_entry_account_id_loyalty_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_entry')),
    sa.UniqueConstraint('key', name=op.f('uq_loyalty_entry_key'))
    )
    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loyalty_entry_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loyalty_entry_at'), ['at'], unique=False)

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_group', sa.String(length=64), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('product_group')

    with op.batch_alter_table('loyalty_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loyalty_entry_at'))
        batch_op.drop_index(batch_op.f('ix_loyalty_entry_account_id'))

    op.drop_table('loyalty_entry')
    op.drop_table('loyalty_account')
    op.drop_table('loyalty_programme')
