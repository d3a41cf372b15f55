"""channel push back-off apart from order pulls, and a retry time per refused SKU

Revision ID: 7c1e2a9d4b50
Revises: 3f1e2d7c9a41
Create Date: 2026-12-03 09:35:00.000000+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e2a9d4b50'
down_revision = '3f1e2d7c9a41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('push_backoff_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('push_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('push_error', sa.String(length=500), nullable=True))
    with op.batch_alter_table('channel_listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel_listing', schema=None) as batch_op:
        batch_op.drop_column('retry_at')
    with op.batch_alter_table('channel_state', schema=None) as batch_op:
        batch_op.drop_column('push_error')
        batch_op.drop_column('push_failures')
        batch_op.drop_column('push_backoff_until')
