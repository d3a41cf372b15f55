"""a checkout scale per terminal: its device URL beside the printers, display and scanner

Revision ID: 5ca1e0c8217a
Revises: 9dc590959e59
Create Date: 2026-12-03 09:25:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5ca1e0c8217a'
down_revision = '9dc590959e59'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('terminal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scale_url', sa.String(length=300), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('terminal', schema=None) as batch_op:
        batch_op.drop_column('scale_url')
