"""The store's stock ledger: every movement appended, the level updated in the same transaction."""
from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from pos.db import utcnow
from pos.ids import new_id
from pos.stock.models import StockLevel, StockMovement

REASONS = ("sale", "return", "receipt", "transfer_out", "transfer_in", "count", "damage")


def record_movements(session, location_id, movements: list[tuple], reason: str, reference_id=None) -> list[dict]:
    """Append ledger rows for (product_id, signed quantity) pairs and move the levels with them."""
    if reason not in REASONS:
        raise ValueError(f"unknown stock movement reason {reason!r}")
    now = utcnow()
    rows = [{"id": new_id(), "location_id": location_id, "product_id": product_id, "quantity": quantity,
             "reason": reason, "reference_id": reference_id, "created_at": now}
            for product_id, quantity in movements if quantity]
    if not rows:
        return []
    session.execute(insert(StockMovement), rows)
    totals: dict = {}
    for row in rows:
        totals[row["product_id"]] = totals.get(row["product_id"], 0) + row["quantity"]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    for product_id, quantity in totals.items():
        statement = dialect.insert(StockLevel).values(location_id=location_id, product_id=product_id,
                                                      on_hand=quantity)
        session.execute(statement.on_conflict_do_update(
            index_elements=[StockLevel.location_id, StockLevel.product_id],
            set_={"on_hand": StockLevel.on_hand + statement.excluded.on_hand}))
    return rows


def level(session, location_id, product_id) -> int:
    value = session.scalar(select(StockLevel.on_hand).where(
        StockLevel.location_id == location_id, StockLevel.product_id == product_id))
    return value or 0


def ledger_mismatches(session) -> list[tuple]:
    """(location, product, level, ledger sum) wherever the level is not the sum of its ledger."""
    ledger = (select(StockMovement.location_id, StockMovement.product_id,
                     func.sum(StockMovement.quantity).label("total"))
              .group_by(StockMovement.location_id, StockMovement.product_id).subquery())
    rows = session.execute(
        select(StockLevel.location_id, StockLevel.product_id, StockLevel.on_hand, ledger.c.total)
        .outerjoin(ledger, (ledger.c.location_id == StockLevel.location_id)
                   & (ledger.c.product_id == StockLevel.product_id))).all()
    mismatches = [tuple(row) for row in rows if row.on_hand != (row.total or 0)]
    orphans = session.execute(
        select(ledger.c.location_id, ledger.c.product_id, ledger.c.total)
        .outerjoin(StockLevel, (ledger.c.location_id == StockLevel.location_id)
                   & (ledger.c.product_id == StockLevel.product_id))
        .where(StockLevel.on_hand.is_(None), ledger.c.total != 0)).all()
    return mismatches + [(row[0], row[1], 0, row[2]) for row in orphans]
