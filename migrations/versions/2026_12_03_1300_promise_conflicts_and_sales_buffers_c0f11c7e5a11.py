"""promise conflicts: a store's sale that took units HQ had promised becomes an incident; availability
remembers which stores it keeps a sales buffer for

Revision ID: c0f11c7e5a11
Revises: 3f1c2a7b9d04
Create Date: 2026-12-03 13:00:00+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'c0f11c7e5a11'
down_revision = '3f1c2a7b9d04'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('promise_conflict',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('on_hand', sa.BigInteger(), nullable=False),
    sa.Column('promised', sa.BigInteger(), nullable=False),
    sa.Column('short', sa.BigInteger(), nullable=False),
    sa.Column('reservations', JSON, nullable=False),
    sa.Column('causes', JSON, nullable=False),
    sa.Column('proposal', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_promise_conflict_location_id_location')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_promise_conflict_product_id_product')),
    sa.ForeignKeyConstraint(['resolved_by'], ['cashier.id'], name=op.f('fk_promise_conflict_resolved_by_cashier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promise_conflict')),
    sa.UniqueConstraint('open_key', name=op.f('uq_promise_conflict_open_key'))
    )
    with op.batch_alter_table('promise_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promise_conflict_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_promise_conflict_status'), ['status'], unique=False)
    op.add_column('availability_state', sa.Column('buffered', JSON, nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('availability_state', schema=None) as batch_op:
        batch_op.drop_column('buffered')
    with op.batch_alter_table('promise_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promise_conflict_status'))
        batch_op.drop_index(batch_op.f('ix_promise_conflict_location_id'))
    op.drop_table('promise_conflict')
