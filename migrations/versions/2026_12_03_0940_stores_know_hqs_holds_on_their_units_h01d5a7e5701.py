"""stores know HQ's holds on their units: the till sells only what web and marketplace orders left free

Revision ID: h01d5a7e5701
Revises: 5ca1e0c8217a
Create Date: 2026-12-03 09:40:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'h01d5a7e5701'
down_revision = '5ca1e0c8217a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stock_level', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hq_held', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('stock_level', schema=None) as batch_op:
        batch_op.drop_column('hq_held')
