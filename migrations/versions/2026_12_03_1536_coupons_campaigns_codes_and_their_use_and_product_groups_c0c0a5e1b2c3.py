"""coupons: campaigns, code batches, codes and their use, incidents; product groups

Campaigns carry a coupon's rules; single-use codes come in batches (optionally allocated to a store, which
may redeem them while cut off from HQ); a redemption's single_code is unique so a code is used once
chain-wide.  Products already have a product group (the loyalty revision adds it) for the rules to name; sale lines keep the coupon's share of
their discount, which the fiscal printer gets as a line discount.

Revision ID: c0c0a5e1b2c3
Revises: 549c921bf742
Create Date: 2026-12-03 15:36:36.517685+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'c0c0a5e1b2c3'
down_revision = '549c921bf742'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coupon_campaign',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('percent_bp', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('min_basket', sa.BigInteger(), nullable=False),
    sa.Column('product_groups', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('per_customer_limit', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shared_code', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_campaign')),
    sa.UniqueConstraint('name', name=op.f('uq_coupon_campaign_name')),
    sa.UniqueConstraint('shared_code', name=op.f('uq_coupon_campaign_shared_code'))
    )
    op.create_table('coupon_batch',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('store_code', sa.String(length=32), nullable=True),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaign.id'], name=op.f('fk_coupon_batch_campaign_id_coupon_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_batch'))
    )
    with op.batch_alter_table('coupon_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_batch_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('coupon_incident',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaign.id'], name=op.f('fk_coupon_incident_campaign_id_coupon_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_incident')),
    sa.UniqueConstraint('kind', 'reference', name=op.f('uq_coupon_incident_kind_reference'))
    )
    with op.batch_alter_table('coupon_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_incident_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('coupon_redemption',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('single_code', sa.String(length=32), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaign.id'], name=op.f('fk_coupon_redemption_campaign_id_coupon_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_redemption')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_coupon_redemption_idempotency_key')),
    sa.UniqueConstraint('single_code', name=op.f('uq_coupon_redemption_single_code'))
    )
    with op.batch_alter_table('coupon_redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_redemption_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_redemption_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_redemption_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_redemption_redeemed_at'), ['redeemed_at'], unique=False)

    op.create_table('coupon_code',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], name=op.f('fk_coupon_code_batch_id_coupon_batch')),
    sa.ForeignKeyConstraint(['campaign_id'], ['coupon_campaign.id'], name=op.f('fk_coupon_code_campaign_id_coupon_campaign')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_coupon_code'))
    )
    with op.batch_alter_table('coupon_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_code_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_code_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('basket_coupon',
    sa.Column('basket_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['basket_id'], ['basket.id'], name=op.f('fk_basket_coupon_basket_id_basket')),
    sa.PrimaryKeyConstraint('basket_id', name=op.f('pk_basket_coupon'))
    )
    with op.batch_alter_table('sale_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coupon_discount', sa.BigInteger(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('sale_line', schema=None) as batch_op:
        batch_op.drop_column('coupon_discount')

    op.drop_table('basket_coupon')
    with op.batch_alter_table('coupon_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_code_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_coupon_code_batch_id'))

    op.drop_table('coupon_code')
    with op.batch_alter_table('coupon_redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_redemption_redeemed_at'))
        batch_op.drop_index(batch_op.f('ix_coupon_redemption_customer_id'))
        batch_op.drop_index(batch_op.f('ix_coupon_redemption_code'))
        batch_op.drop_index(batch_op.f('ix_coupon_redemption_campaign_id'))

    op.drop_table('coupon_redemption')
    with op.batch_alter_table('coupon_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_incident_campaign_id'))

    op.drop_table('coupon_incident')
    with op.batch_alter_table('coupon_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupon_batch_campaign_id'))

    op.drop_table('coupon_batch')
    op.drop_table('coupon_campaign')
