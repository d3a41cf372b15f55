"""marketplace listings, channel push and order cursors, imported orders and oversell incidents

Revision ID: e5ca19d6088a
Revises: ae971da0d4ee
Create Date: 2026-11-23 16:25:45.588861+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'e5ca19d6088a'
down_revision = 'ae971da0d4ee'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('channel_state',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('feed_seq', sa.BigInteger(), nullable=False),
    sa.Column('order_cursor', sa.String(length=200), nullable=True),
    sa.Column('refresh_token', sa.Text(), nullable=True),
    sa.Column('refresh_token_seed', sa.String(length=64), nullable=True),
    sa.Column('backoff_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_push_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_pull_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reconcile_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reconcile', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('pushed_total', sa.BigInteger(), nullable=False),
    sa.Column('orders_total', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_channel_state'))
    )
    op.create_table('channel_listing',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('listing_id', sa.String(length=200), nullable=False),
    sa.Column('wanted_quantity', sa.BigInteger(), nullable=False),
    sa.Column('wanted_seq', sa.BigInteger(), nullable=False),
    sa.Column('pushed_quantity', sa.BigInteger(), nullable=True),
    sa.Column('pushed_seq', sa.BigInteger(), nullable=False),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_channel_listing_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_listing')),
    sa.UniqueConstraint('channel', 'listing_id', name=op.f('uq_channel_listing_channel_listing_id')),
    sa.UniqueConstraint('channel', 'sku', name=op.f('uq_channel_listing_channel_sku'))
    )
    with op.batch_alter_table('channel_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_listing_product_id'), ['product_id'], unique=False)

    op.create_table('marketplace_order',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('channel_order_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('reservation_id', sa.Uuid(), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('channel_status', sa.String(length=64), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_marketplace_order_customer_id_customer')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_marketplace_order_reservation_id_reservation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketplace_order')),
    sa.UniqueConstraint('channel', 'channel_order_id', name=op.f('uq_marketplace_order_channel_channel_order_id'))
    )
    op.create_table('channel_incident',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('channel_order_id', sa.String(length=100), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('requested', sa.BigInteger(), nullable=False),
    sa.Column('available', sa.BigInteger(), nullable=False),
    sa.Column('involved', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('suggestion', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['marketplace_order.id'], name=op.f('fk_channel_incident_order_id_marketplace_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_incident'))
    )
    with op.batch_alter_table('channel_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_incident_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('channel_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_incident_status'))

    op.drop_table('channel_incident')
    op.drop_table('marketplace_order')
    with op.batch_alter_table('channel_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_listing_product_id'))

    op.drop_table('channel_listing')
    op.drop_table('channel_state')

