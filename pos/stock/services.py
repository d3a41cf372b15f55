"""The store's stock ledger: every movement appended, the level updated in the same transaction."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from pos.db import fast_execute, fast_insert, utcnow
from pos.ids import new_id
from pos.stock.models import StockLevel, StockMovement
from pos.types import Id

REASONS = ("sale", "return", "receipt", "transfer_out", "transfer_in", "count", "damage")


_MOVEMENTS = StockMovement.__table__
_LEVELS = StockLevel.__table__
UPSERT_BATCH = 100  # levels per statement: a goods receipt of 100,000 lines stays within SQLite's variables


def _level_upsert(dialect_name: str, count: int):
    """ON CONFLICT … on_hand = on_hand + excluded for ``count`` levels in one statement, handing back each
    moved level's figures: the sale's guard reads them without a second query (every sale runs it)."""
    def build():
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        statement = dialect.insert(_LEVELS).values([
            {"location_id": bindparam("l", type_=Id), "product_id": bindparam(f"p{i}", type_=Id),
             "on_hand": bindparam(f"q{i}", type_=_LEVELS.c.on_hand.type),
             "reserved": 0, "committed": 0, "safety_stock": 0, "hq_held": 0} for i in range(count)])
        return statement.on_conflict_do_update(
            index_elements=[_LEVELS.c.location_id, _LEVELS.c.product_id],
            set_={"on_hand": _LEVELS.c.on_hand + statement.excluded.on_hand}
        ).returning(_LEVELS.c.product_id, _LEVELS.c.on_hand, _PROMISED)
    return ("stock.level_upsert", count), build


def record_movements(session, location_id, movements: list[tuple], reason: str, reference_id=None, *,
                     promised_override=None) -> list[dict]:
    """Append ledger rows for (product_id, signed quantity) pairs and move the levels with them.

    A sale that would take pieces promised to online orders is refused, unless ``promised_override`` is given:
    it is called with the promised products' ids (to check a manager's approval and audit it) and the sale goes on."""
    if reason not in REASONS:
        raise ValueError(f"unknown stock movement reason {reason!r}")
    now = utcnow()
    rows = [{"id": new_id(), "location_id": location_id, "product_id": product_id, "quantity": quantity,
             "reason": reason, "reference_id": reference_id, "created_at": now}
            for product_id, quantity in movements if quantity]
    if not rows:
        return []
    connection = session.connection()
    fast_insert(connection, _MOVEMENTS, rows)
    totals: dict = {}
    for row in rows:
        totals[row["product_id"]] = totals.get(row["product_id"], 0) + row["quantity"]
    # In key order, so two movers on PostgreSQL lock the same levels in the same order.
    moved = sorted(totals.items(), key=lambda item: str(item[0]))
    levels = []
    for start in range(0, len(moved), UPSERT_BATCH):
        params = {"l": location_id}
        for i, (product_id, quantity) in enumerate(moved[start:start + UPSERT_BATCH]):
            params[f"p{i}"], params[f"q{i}"] = product_id, quantity
        levels += fast_execute(connection, *_level_upsert(connection.dialect.name, (len(params) - 1) // 2), params)[0]
    if reason == "sale":
        _refuse_promised(levels, {pid for pid, quantity in totals.items() if quantity < 0}, promised_override)
    return rows


# Promised = held here (standalone, HQ) or held by HQ (a store node).
_PROMISED = (_LEVELS.c.reserved + _LEVELS.c.committed + _LEVELS.c.hq_held).label("promised")


def _refuse_promised(levels, taken: set, override=None) -> None:
    """A till may sell below zero while nothing is promised (goods not booked in yet happen), but never
    pieces reserved or committed to online orders: the reservation guard's arithmetic, checked on the
    rows the sale just moved and locked (as the upsert handed them back), so a sale and a reservation can
    never both take the last piece."""
    short = [product_id for product_id, on_hand, promised in levels
             if product_id in taken and promised > 0 and on_hand < promised]
    if not short:
        return
    if override is not None:
        override(short)
        return
    from pos.problems import ApiProblem

    raise ApiProblem(409, "stock-promised", "lines: the last pieces here are promised to online orders",
                     field="lines", title="Stock promised to online orders", product_id=str(short[0]),
                     product_ids=[str(product_id) for product_id in short])


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


def lock_levels(session, pairs, create_missing: bool = True) -> dict:
    """The level rows of (location_id, product_id) pairs, locked until commit (missing ones created first,
    unless create_missing is False: then they are simply absent).

    PostgreSQL locks the rows in key order, so two movers never deadlock; SQLite already serialises
    writers with BEGIN IMMEDIATE."""
    pairs = set(pairs)
    if not pairs:
        return {}
    if create_missing:
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        missing = dialect.insert(StockLevel).values([
            {"location_id": l, "product_id": p, "on_hand": 0, "reserved": 0, "committed": 0, "safety_stock": 0}
            for l, p in sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1])))])
        session.execute(missing.on_conflict_do_nothing(
            index_elements=[StockLevel.location_id, StockLevel.product_id]))
    statement = (select(StockLevel)
                 .where(StockLevel.location_id.in_({l for l, _ in pairs}),
                        StockLevel.product_id.in_({p for _, p in pairs}))
                 .order_by(StockLevel.location_id, StockLevel.product_id)
                 .execution_options(populate_existing=True))
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    return {(row.location_id, row.product_id): row for row in session.scalars(statement)
            if (row.location_id, row.product_id) in pairs}


def promise_mismatches(session) -> list[tuple]:
    """(location, product, what, level, reservations) where reserved/committed differ from the reservation lines."""
    from pos.stock.models import Reservation, ReservationLine

    sums = {}
    for status, location_id, product_id, total in session.execute(
            select(Reservation.status, ReservationLine.location_id, ReservationLine.product_id,
                   func.sum(ReservationLine.quantity))
            .join(Reservation, Reservation.id == ReservationLine.reservation_id)
            .where(Reservation.status.in_(("held", "committed")))
            .group_by(Reservation.status, ReservationLine.location_id, ReservationLine.product_id)):
        sums[(location_id, product_id, status)] = int(total)
    mismatches = []
    for row in session.execute(select(StockLevel.location_id, StockLevel.product_id, StockLevel.reserved,
                                      StockLevel.committed)):
        for what, value in (("held", row.reserved), ("committed", row.committed)):
            expected = sums.pop((row.location_id, row.product_id, what), 0)
            if value != expected:
                mismatches.append((row.location_id, row.product_id, what, value, expected))
    mismatches += [(l, p, what, 0, total) for (l, p, what), total in sums.items() if total]
    return mismatches


def levels_json(session, location_id=None, skus: list[str] | None = None, limit: int = 500) -> list[dict]:
    from pos.catalogue.models import Product
    from pos.stores.models import Location

    statement = (select(Location.code, Product.sku, StockLevel.on_hand, StockLevel.reserved, StockLevel.committed,
                        StockLevel.safety_stock, StockLevel.hq_held)
                 .join(Location, Location.id == StockLevel.location_id)
                 .join(Product, Product.id == StockLevel.product_id)
                 .order_by(Location.code, Product.sku).limit(limit))
    if location_id is not None:
        statement = statement.where(StockLevel.location_id == location_id)
    if skus:
        statement = statement.where(Product.sku.in_(skus))
    return [{"location": row.code, "sku": row.sku, "on_hand": row.on_hand, "reserved": row.reserved,
             "committed": row.committed, "safety_stock": row.safety_stock, "held_by_hq": row.hq_held,
             "free_at_till": max(0, row.on_hand - row.reserved - row.committed - row.hq_held),
             "spare": max(0, row.on_hand - row.reserved - row.committed - row.hq_held - row.safety_stock)}
            for row in session.execute(statement)]


def set_safety_stock(session, location_id, product_id, quantity: int) -> None:
    level_row = lock_levels(session, [(location_id, product_id)])[(location_id, product_id)]
    level_row.safety_stock = quantity
