"""mark moved stock levels so availability recomputes only them

A trigger on stock_level writes one stock_level_mark row per moved level, in the mover's own
transaction: sales, returns, documents, reservations and replicated store movements alike, without
any of them knowing about availability.

Revision ID: 3f1c2a7b9d04
Revises: 7c1e2a9d4b50
Create Date: 2026-12-03 09:30:00.000000+00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '3f1c2a7b9d04'
down_revision = '7c1e2a9d4b50'
branch_labels = None
depends_on = None

# Only a change to a figure availability reads makes a mark.
MOVED = ("NEW.on_hand IS DISTINCT FROM OLD.on_hand OR NEW.reserved IS DISTINCT FROM OLD.reserved "
         "OR NEW.committed IS DISTINCT FROM OLD.committed OR NEW.safety_stock IS DISTINCT FROM OLD.safety_stock")
MARK = "INSERT INTO stock_level_mark (location_id, product_id) VALUES (NEW.location_id, NEW.product_id)"

POSTGRESQL = [
    f"""CREATE FUNCTION stock_level_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR {MOVED} THEN
        {MARK};
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER tr_stock_level_mark AFTER INSERT OR UPDATE ON stock_level
FOR EACH ROW EXECUTE FUNCTION stock_level_mark()""",
]
SQLITE = [
    f"CREATE TRIGGER tr_stock_level_mark_insert AFTER INSERT ON stock_level BEGIN {MARK}; END",
    f"""CREATE TRIGGER tr_stock_level_mark_update AFTER UPDATE ON stock_level
WHEN {MOVED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {MARK}; END""",
]


def upgrade() -> None:
    op.create_table('stock_level_mark',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_stock_level_mark'))
    )
    op.create_table('availability_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rules', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('weights', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_state'))
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tr_stock_level_mark ON stock_level")
        op.execute("DROP FUNCTION stock_level_mark()")
    else:
        op.execute("DROP TRIGGER tr_stock_level_mark_update")
        op.execute("DROP TRIGGER tr_stock_level_mark_insert")
    op.drop_table('availability_state')
    op.drop_table('stock_level_mark')
