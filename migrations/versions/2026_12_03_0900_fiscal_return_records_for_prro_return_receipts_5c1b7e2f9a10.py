"""fiscal return records: Ukraine's PRRO (Checkbox) fiscalises each return as a RETURN receipt of its own

Revision ID: 5c1b7e2f9a10
Revises: 7a9a58bf6cb2
Create Date: 2026-12-03 09:00:00+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '5c1b7e2f9a10'
down_revision = '7a9a58bf6cb2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fiscal_return_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('return_id', sa.Uuid(), nullable=False),
    sa.Column('terminal_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('device_receipt_number', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error_code', sa.String(length=64), nullable=False),
    sa.Column('last_error_message', sa.String(length=500), nullable=False),
    sa.Column('last_error_action', sa.String(length=500), nullable=False),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['sale_return.id'], name=op.f('fk_fiscal_return_record_return_id_sale_return')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], name=op.f('fk_fiscal_return_record_terminal_id_terminal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_return_record')),
    sa.UniqueConstraint('return_id', name=op.f('uq_fiscal_return_record_return_id'))
    )
    with op.batch_alter_table('fiscal_return_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_return_record_terminal_id'), ['terminal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fiscal_return_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fiscal_return_record_terminal_id'))
    op.drop_table('fiscal_return_record')
