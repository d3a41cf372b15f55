"""store epochs, and changes known by their own ids (HQ dedupes on them, never on a seq a restore reuses)

Revision ID: 3f1e2d7c9a41
Revises: 5c1b7e2f9a10
Create Date: 2026-12-03 09:20:00.000000+00:00
"""
import datetime as dt
import uuid

from alembic import op
import sqlalchemy as sa


revision = '3f1e2d7c9a41'
down_revision = '5c1b7e2f9a10'
branch_labels = None
depends_on = None

# Frozen copy of pos.feed.models.legacy_change_id: the store's feed and HQ's applied_change derive the
# same id for a change written before ids existed, so a backlog resent after the upgrade still matches.
LEGACY_NAMESPACE = uuid.UUID("5b0c7e2e-4f7e-4d35-9a53-0e3f2a9d6c11")


def _legacy(seq, entity, entity_id) -> uuid.UUID:
    return uuid.uuid5(LEGACY_NAMESPACE, f"{int(seq)}:{entity}:{entity_id}")


def _backfill(table: str, key: tuple[str, ...], column: str) -> None:
    connection = op.get_bind()
    t = sa.table(table, *(sa.column(c) for c in (*key, "seq", "entity", "entity_id")),
                 sa.column(column, sa.Uuid()))
    rows = connection.execute(sa.select(*(t.c[c] for c in key), t.c.seq, t.c.entity, t.c.entity_id)).all()
    if not rows:
        return
    where = sa.and_(*(t.c[c] == sa.bindparam("k_" + c) for c in key))
    connection.execute(sa.update(t).where(where).values({column: sa.bindparam("v")}),
                       [{**{"k_" + c: getattr(r, c) for c in key},
                         "v": _legacy(r.seq, r.entity, r.entity_id)} for r in rows])


def upgrade() -> None:
    op.create_table('store_epoch',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hq_seq', sa.BigInteger(), nullable=False),
    sa.Column('offline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offline_manager_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_store_epoch_location_id_location')),
    sa.ForeignKeyConstraint(['offline_manager_id'], ['cashier.id'],
                            name=op.f('fk_store_epoch_offline_manager_id_cashier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_epoch'))
    )
    with op.batch_alter_table('store_epoch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_epoch_location_id'), ['location_id'], unique=False)

    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id', sa.Uuid(), nullable=True))
    _backfill('change', ('seq',), 'id')
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.alter_column('id', existing_type=sa.Uuid(), nullable=False)

    with op.batch_alter_table('applied_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('epoch_id', sa.Uuid(), nullable=True))
    _backfill('applied_change', ('location_id', 'seq'), 'change_id')
    with op.batch_alter_table('applied_change', schema=None) as batch_op:
        batch_op.drop_constraint('pk_applied_change', type_='primary')
        batch_op.alter_column('change_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_primary_key('pk_applied_change', ['location_id', 'change_id'])

    # A store that has synced before keeps selling after the upgrade: its database lived on without a
    # break, so its life so far counts as one epoch HQ has already confirmed.
    connection = op.get_bind()
    synced = connection.scalar(sa.text("SELECT count(*) FROM sync_cursor WHERE name = 'push' AND position > 0"))
    if synced:
        now = dt.datetime.now(dt.timezone.utc)
        epoch = sa.table('store_epoch', sa.column('id', sa.Uuid()), sa.column('reason'),
                         sa.column('started_at', sa.DateTime(timezone=True)),
                         sa.column('confirmed_at', sa.DateTime(timezone=True)), sa.column('hq_seq'))
        connection.execute(sa.insert(epoch).values(id=uuid.uuid4(), reason='upgraded', started_at=now,
                                                   confirmed_at=now, hq_seq=0))


def downgrade() -> None:
    with op.batch_alter_table('applied_change', schema=None) as batch_op:
        batch_op.drop_constraint('pk_applied_change', type_='primary')
        batch_op.create_primary_key('pk_applied_change', ['location_id', 'seq'])
        batch_op.drop_column('epoch_id')
        batch_op.drop_column('change_id')
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.drop_column('id')
    with op.batch_alter_table('store_epoch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_epoch_location_id'))
    op.drop_table('store_epoch')
