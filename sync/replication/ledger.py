"""HQ's stock ledger for a store's location, written a batch at a time.

Same rows and the same invariant as pos.stock.services.record_movements (each movement appended, the
level moved with it in the same transaction), but for many references at once: one bulk write for every
movement of a batch and one upsert statement for all the products it moved, instead of a round trip per sale."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from pos.db import utcnow
from pos.ids import new_id
from pos.stock.models import StockLevel, StockMovement
from pos.stock.services import REASONS
from sync.promises.taken import note_taken
from sync.replication import bulk

MOVEMENT = (StockMovement.__table__, ("id", "location_id", "product_id", "quantity", "reason", "reference_id",
                                      "created_at"))


def _upsert_levels(dialect):
    statement = dialect.insert(StockLevel.__table__)
    return statement.on_conflict_do_update(
        index_elements=["location_id", "product_id"],
        set_={"on_hand": StockLevel.__table__.c.on_hand + statement.excluded.on_hand})


UPSERT_LEVELS = {"postgresql": _upsert_levels(postgresql), "sqlite": _upsert_levels(sqlite)}


def record_many(session, location_id, movements: list[tuple]) -> int:
    """movements: (product_id, signed quantity, reason, reference_id, at)."""
    rows, totals = [], {}
    for product_id, quantity, reason, reference_id, at in movements:
        if not quantity:
            continue
        if reason not in REASONS:
            raise ValueError(f"unknown stock movement reason {reason!r}")
        rows.append((new_id(), location_id, product_id, quantity, reason, reference_id, at or utcnow()))
        totals[product_id] = totals.get(product_id, 0) + quantity
        if quantity < 0:  # units HQ may have promised there are gone: checked once the batch is in
            note_taken(session, location_id, [product_id], reference_id)
    if not rows:
        return 0
    bulk.write(session, *MOVEMENT, rows)
    connection = session.connection()
    statement = UPSERT_LEVELS[connection.dialect.name]
    # Products in a fixed order, so two batches moving the same levels lock them alike.
    levels = [{"location_id": location_id, "product_id": product_id, "on_hand": quantity}
              for product_id, quantity in sorted(totals.items(), key=lambda kv: str(kv[0]))]
    if connection.dialect.name == "postgresql":
        # One multi-row statement per thousand products: a single round trip for a whole batch.
        for start in range(0, len(levels), 1000):
            connection.execute(statement.values(levels[start:start + 1000]))
    else:
        connection.execute(statement, levels)
    return len(rows)
