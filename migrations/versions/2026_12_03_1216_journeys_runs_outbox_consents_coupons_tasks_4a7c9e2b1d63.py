"""journeys: runs, outbox, consents, coupons, tasks

The journeys area's own tables: versioned definitions, the timeline events taken in, runs, an outbox with
unique idempotency keys, the consent ledger, apology coupons, call-centre tasks and survey answers.

Revision ID: 4a7c9e2b1d63
Revises: c0f11c7e5a11
Create Date: 2026-12-03 12:16:09.649680+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '4a7c9e2b1d63'
down_revision = 'c0f11c7e5a11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('journey_erasure',
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('scrubbed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_journey_erasure'))
    )
    op.create_table('journey',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_journey_key_version'))
    )
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_key'), ['key'], unique=False)

    op.create_table('journey_consent',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('how', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_consent'))
    )
    with op.batch_alter_table('journey_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_consent_customer_id'), ['customer_id'], unique=False)

    op.create_table('journey_coupon',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_coupon')),
    sa.UniqueConstraint('code', name=op.f('uq_journey_coupon_code')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_journey_coupon_idempotency_key'))
    )
    with op.batch_alter_table('journey_coupon', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_coupon_customer_id'), ['customer_id'], unique=False)

    op.create_table('journey_seen_event',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_journey_seen_event'))
    )
    op.create_table('journey_task',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_task')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_journey_task_idempotency_key'))
    )
    with op.batch_alter_table('journey_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_task_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_task_queue'), ['queue'], unique=False)

    op.create_table('journey_run',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('journey_id', sa.Uuid(), nullable=False),
    sa.Column('journey_key', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('trigger_event_id', sa.Uuid(), nullable=False),
    sa.Column('trigger_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('exit_reason', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_journey_run_journey_id_journey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_run')),
    sa.UniqueConstraint('journey_key', 'trigger_event_id', name=op.f('uq_journey_run_journey_key_trigger_event_id'))
    )
    with op.batch_alter_table('journey_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_run_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_run_journey_id'), ['journey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_run_next_at'), ['next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_run_status'), ['status'], unique=False)

    op.create_table('journey_outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['journey_run.id'], name=op.f('fk_journey_outbox_run_id_journey_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_journey_outbox_idempotency_key'))
    )
    with op.batch_alter_table('journey_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_outbox_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_outbox_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_outbox_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journey_outbox_status'), ['status'], unique=False)

    op.create_table('journey_survey_answer',
    sa.Column('run_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['journey_run.id'], name=op.f('fk_journey_survey_answer_run_id_journey_run')),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_journey_survey_answer'))
    )
    with op.batch_alter_table('journey_survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_survey_answer_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('journey_survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_survey_answer_customer_id'))

    op.drop_table('journey_survey_answer')
    with op.batch_alter_table('journey_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_journey_outbox_run_id'))
        batch_op.drop_index(batch_op.f('ix_journey_outbox_due_at'))
        batch_op.drop_index(batch_op.f('ix_journey_outbox_customer_id'))

    op.drop_table('journey_outbox')
    with op.batch_alter_table('journey_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_run_status'))
        batch_op.drop_index(batch_op.f('ix_journey_run_next_at'))
        batch_op.drop_index(batch_op.f('ix_journey_run_journey_id'))
        batch_op.drop_index(batch_op.f('ix_journey_run_customer_id'))

    op.drop_table('journey_run')
    with op.batch_alter_table('journey_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_task_queue'))
        batch_op.drop_index(batch_op.f('ix_journey_task_customer_id'))

    op.drop_table('journey_task')
    op.drop_table('journey_seen_event')
    with op.batch_alter_table('journey_coupon', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_coupon_customer_id'))

    op.drop_table('journey_coupon')
    with op.batch_alter_table('journey_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_consent_customer_id'))

    op.drop_table('journey_consent')
    with op.batch_alter_table('journey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_key'))

    op.drop_table('journey')
    op.drop_table('journey_erasure')
