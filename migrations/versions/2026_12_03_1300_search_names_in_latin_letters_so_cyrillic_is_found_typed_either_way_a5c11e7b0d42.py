"""search names in Latin letters, so Cyrillic names are found typed in Cyrillic or in Latin

Products' search_name is now anyascii's transliteration, casefolded (pos.text.search_key): the stored
names are recomputed in batches.

Revision ID: a5c11e7b0d42
Revises: 4a7c9e2b1d63
Create Date: 2026-12-03 13:00:00.000000+00:00
"""
import unicodedata

import sqlalchemy as sa
from alembic import op
from anyascii import anyascii

revision = 'a5c11e7b0d42'
down_revision = '4a7c9e2b1d63'
branch_labels = None
depends_on = None

BATCH = 1000
product = sa.table("product", sa.column("id"), sa.column("name", sa.String), sa.column("search_name", sa.String))


def _latin(name: str) -> str:
    return anyascii(name).casefold()[:200]


def _accents_stripped(name: str) -> str:
    """The key before this revision."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ł", "l")[:200]


def _recompute(key) -> None:
    connection = op.get_bind()
    last = None
    while True:
        query = sa.select(product.c.id, product.c.name).order_by(product.c.id).limit(BATCH)
        if last is not None:
            query = query.where(product.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        for row in rows:
            connection.execute(product.update().where(product.c.id == row.id).values(search_name=key(row.name)))
        last = rows[-1].id


def upgrade() -> None:
    _recompute(_latin)


def downgrade() -> None:
    _recompute(_accents_stripped)
