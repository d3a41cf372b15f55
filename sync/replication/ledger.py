"""HQ's stock ledger for a store's location, written a batch at a time.

Same rows and the same invariant as pos.stock.services.record_movements (each movement appended, the
level moved with it in the same transaction), but for many references at once: one insert for every
movement of a batch and one upsert per product, instead of a round trip per sale."""
from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from pos.db import utcnow
from pos.ids import new_id
from pos.stock.models import StockLevel, StockMovement
from pos.stock.services import REASONS


def record_many(session, location_id, movements: list[tuple]) -> int:
    """movements: (product_id, signed quantity, reason, reference_id, at)."""
    rows = []
    for product_id, quantity, reason, reference_id, at in movements:
        if not quantity:
            continue
        if reason not in REASONS:
            raise ValueError(f"unknown stock movement reason {reason!r}")
        rows.append({"id": new_id(), "location_id": location_id, "product_id": product_id, "quantity": quantity,
                     "reason": reason, "reference_id": reference_id, "created_at": at or utcnow()})
    if not rows:
        return 0
    session.connection().execute(insert(StockMovement.__table__), rows)
    totals: dict = {}
    for row in rows:
        totals[row["product_id"]] = totals.get(row["product_id"], 0) + row["quantity"]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(StockLevel.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["location_id", "product_id"],
        set_={"on_hand": StockLevel.__table__.c.on_hand + statement.excluded.on_hand})
    session.connection().execute(statement, [{"location_id": location_id, "product_id": product_id, "on_hand": quantity}
                                for product_id, quantity in sorted(totals.items(), key=lambda kv: str(kv[0]))])
    return len(rows)
