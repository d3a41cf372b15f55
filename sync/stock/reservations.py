"""Reservations: stock held for a web checkout or a marketplace order, all lines or none.

Holding locks the (location, product) level rows of the asked SKUs, computes the channel's ATS from
those locked rows, and raises ``reserved`` with a guarded UPDATE per row — so concurrent checkouts,
store sales and transfers can never take the same piece twice.

A hold runs for every checkout of every channel, so it is few statements, built once: one locked read
(products, levels and the locations' freshness together) and, on PostgreSQL, one statement that raises
the levels and writes the reservation, its lines and its first event (elsewhere one per table)."""
from __future__ import annotations

import datetime as dt
import functools

from psycopg.rows import namedtuple_row
from sqlalchemy import bindparam, exists, insert, select, true, update
from sqlalchemy.orm import make_transient_to_detached

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.ids import new_id
from pos.problems import ApiProblem
from pos.stock.models import Reservation, ReservationEvent, ReservationLine, StockLevel
from pos.stock.services import record_movements
from pos.stores.models import Location
from sync.stock.availability import (Freshness, ats, contribution, location_weight, sales_buffers, stale_horizon,
                                     unheard_seconds)
from sync.stock.channels import cached_channel_rule
from sync.stock.holds import publish_holds

MAX_TTL_SECONDS = 7 * 24 * 3600

# status → status: how the level columns move (reserved, committed) per reserved piece
TRANSITIONS = {
    ("held", "committed"): (-1, +1),
    ("held", "released"): (-1, 0),
    ("held", "expired"): (-1, 0),
    ("committed", "released"): (0, -1),
    ("committed", "fulfilled"): (0, -1),
    ("fulfilled", "returned"): (0, 0),  # the pieces come back on hand through the ledger
}

_level, _product, _location = StockLevel.__table__, Product.__table__, Location.__table__
_reservation, _line, _event = Reservation.__table__, ReservationLine.__table__, ReservationEvent.__table__
_SPARE = _level.c.on_hand - _level.c.reserved - _level.c.committed - _level.c.safety_stock
_REFERENCE_TAKEN = exists().where(_reservation.c.channel == bindparam("channel"),
                                  _reservation.c.reference == bindparam("reference")).label("reference_taken")


def _locked_levels(some_locations: bool):
    # Product × location, then the level by its primary key; rows are locked in key order (the order
    # pos.stock.services.lock_levels uses), so holds and store movements never deadlock.
    statement = (select(_product.c.sku, _level.c.product_id, _level.c.location_id, _location.c.kind,
                        _location.c.code, _location.c.last_heard_at, _level.c.on_hand, _level.c.reserved,
                        _level.c.committed, _level.c.safety_stock, _REFERENCE_TAKEN)
                 .select_from(_product.join(_location, true())
                              .join(_level, (_level.c.product_id == _product.c.id)
                                    & (_level.c.location_id == _location.c.id)))
                 .where(_product.c.sku.in_(bindparam("skus", expanding=True)))
                 .order_by(_level.c.location_id, _level.c.product_id)
                 .with_for_update(of=_level))
    if some_locations:
        statement = statement.where(_location.c.id.in_(bindparam("locations", expanding=True)))
    return statement


# Built once: SQLAlchemy statements are costly to build, and a hold runs for every checkout.
LOCK_LEVELS_ANYWHERE, LOCK_LEVELS_AT = _locked_levels(False), _locked_levels(True)
PRODUCTS = (select(_product.c.sku, _product.c.id, _REFERENCE_TAKEN)
            .where(_product.c.sku.in_(bindparam("skus", expanding=True))))
TAKE = (update(_level).where(_level.c.location_id == bindparam("t_location"),
                             _level.c.product_id == bindparam("t_product"), _SPARE >= bindparam("t_take"))
        .values(reserved=_level.c.reserved + bindparam("t_take")))
INSERT_RESERVATION, INSERT_LINES, INSERT_EVENT = insert(_reservation), insert(_line), insert(_event)
# PostgreSQL runs the hold as two statements of its own SQL, straight on the driver's connection (the
# session's, in its transaction): SQLAlchemy's per-execution work would cost as much as the database's.
# The text depends only on the number of SKUs, locations and lines, so psycopg prepares each shape
# once per connection; plain placeholders, because adapting arrays costs more than the rest.
@functools.lru_cache(maxsize=256)
def _lock_levels_sql(skus: int, locations: int | None) -> str:
    at = "true" if locations is None else f"l.id IN ({', '.join(['%s'] * locations)})" if locations else "false"
    return f"""
SELECT p.sku, s.product_id, s.location_id, l.kind, l.code, l.last_heard_at,
       s.on_hand, s.reserved, s.committed, s.safety_stock,
       EXISTS (SELECT FROM reservation r WHERE r.channel = %s AND r.reference = %s) AS reference_taken
FROM product p JOIN location l ON {at}
JOIN stock_level s ON s.product_id = p.id AND s.location_id = l.id
WHERE p.sku IN ({', '.join(['%s'] * skus)})
ORDER BY s.location_id, s.product_id
FOR UPDATE OF s"""


@functools.lru_cache(maxsize=64)
def _hold_sql(lines: int) -> str:
    """The guard, the reservation, its lines and its event in one round trip; the answer is the level rows
    the guard let through (any missing one and the caller's transaction is rolled back).

    Parameters: per line (location, product, take); the reservation (id, channel, reference, expires_at,
    now); per line (line id, position, location, product, sku, quantity); the event (id, detail, now)."""
    takes = ", ".join(["(%s::uuid, %s::uuid, %s::bigint)"] * lines)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * lines)
    return f"""
WITH wanted (location_id, product_id, take) AS (VALUES {takes}),
  taken AS (
    UPDATE stock_level AS s SET reserved = s.reserved + w.take
    FROM wanted AS w
    WHERE s.location_id = w.location_id AND s.product_id = w.product_id
      AND s.on_hand - s.reserved - s.committed - s.safety_stock >= w.take
    RETURNING s.location_id, s.product_id),
  held AS (
    INSERT INTO reservation (id, channel, reference, status, expires_at, order_id, created_at, updated_at)
    VALUES (%s, %s, %s, 'held', %s, NULL, %s, %s)),
  lines AS (
    INSERT INTO reservation_line (id, reservation_id, position, location_id, product_id, sku, quantity)
    VALUES {rows}),
  event AS (
    INSERT INTO reservation_event (id, reservation_id, status, detail, at) VALUES (%s, %s, 'held', %s, %s))
SELECT location_id, product_id FROM taken"""


def _driver_rows(connection, sql: str, parameters: list) -> list:
    with connection.connection.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()


def hold(session, freshness: Freshness, channel: str, reference: str, ttl_seconds: int, lines: list[dict],
         now: dt.datetime | None = None) -> Reservation:
    now = now or utcnow()
    rule = cached_channel_rule(session, channel)
    if rule is None:
        raise ApiProblem(422, "unknown-channel", f"channel: no sales channel {channel!r}", field="channel")
    if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ApiProblem(422, "invalid-field", f"ttl_seconds: between 1 and {MAX_TTL_SECONDS}", field="ttl_seconds")
    wanted: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line["sku"] in wanted:
            raise ApiProblem(422, "duplicate-line", f"lines[{index}].sku: listed twice", field=f"lines[{index}].sku")
        wanted[line["sku"]] = line["quantity"]
    connection = session.connection()
    on_postgresql = connection.dialect.name == "postgresql"
    keys = {"skus": list(wanted), "channel": channel, "reference": reference}
    if rule.location_ids is not None:
        keys["locations"] = list(rule.location_ids)
    if on_postgresql:
        rows = _driver_rows(connection, _lock_levels_sql(len(wanted), None if rule.location_ids is None
                                                         else len(rule.location_ids)),
                            [channel, reference, *keys.get("locations", ()), *wanted])
    else:
        rows = connection.execute(LOCK_LEVELS_ANYWHERE if rule.location_ids is None else LOCK_LEVELS_AT, keys).all()
    products = {row.sku: row.product_id for row in rows}
    reference_taken = bool(rows[0].reference_taken) if rows else False
    if len(products) < len(wanted):
        # SKUs never stocked at a serving location (or not ours at all): they lock nothing.
        found = connection.execute(PRODUCTS, {**keys, "skus": [s for s in wanted if s not in products]}).all()
        products.update((row.sku, row.id) for row in found)
        reference_taken = reference_taken or any(row.reference_taken for row in found)
    for index, sku in enumerate(wanted):
        if sku not in products:
            raise ApiProblem(422, "unknown-sku", f"lines[{index}].sku: no product {sku!r}", field=f"lines[{index}].sku")
    if reference_taken:
        raise ApiProblem(409, "reference-taken", f"reference: {channel} already has a reservation {reference!r}",
                         field="reference")
    plan, short = _plan(session, rows, rule, freshness, now, wanted)
    if short:
        raise ApiProblem(409, "insufficient-stock",
                         "lines: not enough available for " + ", ".join(s["sku"] for s in short),
                         field="lines", title="Insufficient stock", short=short)
    reservation_id, expires_at, detail = new_id(), now + dt.timedelta(seconds=ttl_seconds), f"ttl {ttl_seconds}s"
    if on_postgresql:
        parameters = [value for _sku, location_id, product_id, take in plan
                      for value in (location_id, product_id, take)]
        parameters += [reservation_id, channel, reference, expires_at, now, now]
        for position, (sku, location_id, product_id, take) in enumerate(plan, start=1):
            parameters += [new_id(), reservation_id, position, location_id, product_id, sku, take]
        parameters += [new_id(), reservation_id, detail, now]
        taken = _driver_rows(connection, _hold_sql(len(plan)), parameters)
        _all_taken(plan, {(row.location_id, row.product_id) for row in taken}, wanted)
    else:
        connection.execute(INSERT_RESERVATION, {"id": reservation_id, "channel": channel, "reference": reference,
                                                "status": "held", "expires_at": expires_at, "order_id": None,
                                                "created_at": now, "updated_at": now})
        taken = set()
        for sku, location_id, product_id, take in plan:
            if connection.execute(TAKE, {"t_location": location_id, "t_product": product_id,
                                         "t_take": take}).rowcount == 1:
                taken.add((location_id, product_id))
        _all_taken(plan, taken, wanted)
        connection.execute(INSERT_LINES, [
            {"id": new_id(), "reservation_id": reservation_id, "position": position, "location_id": location_id,
             "product_id": product_id, "sku": sku, "quantity": take}
            for position, (sku, location_id, product_id, take) in enumerate(plan, start=1)])
        connection.execute(INSERT_EVENT, {"id": new_id(), "reservation_id": reservation_id, "status": "held",
                                          "at": now, "detail": detail})
    publish_holds(session, {(location_id, product_id) for _sku, location_id, product_id, _take in plan})
    # The caller gets the row as written, known to its session without reading it back.
    reservation = Reservation(id=reservation_id, channel=channel, reference=reference, status="held",
                              expires_at=expires_at, order_id=None, created_at=now, updated_at=now)
    make_transient_to_detached(reservation)
    session.add(reservation)
    return reservation


def _plan(session, rows, rule, freshness: Freshness, now: dt.datetime, wanted: dict) -> tuple[list, list]:
    """([(sku, location_id, product_id, take)], [short lines]) from the locked level rows."""
    horizon = stale_horizon(freshness, now)
    weights, unheard, by_sku = {}, {}, {}
    for row in rows:
        if row.location_id not in weights:
            weights[row.location_id] = location_weight(freshness, horizon, row.kind, row.code, row.last_heard_at)
            unheard[row.location_id] = unheard_seconds(freshness, now, row.kind, row.code, row.last_heard_at)
        if weights[row.location_id] > 0 and (rule.location_ids is None or row.location_id in rule.location_ids):
            by_sku.setdefault(row.sku, []).append(row)
    late = {lid: seconds for lid, seconds in unheard.items() if seconds and weights[lid]}
    # Only a store HQ has not heard from lately costs a look at its recent sales; an up-to-date chain none.
    buffers = sales_buffers(session, freshness, now, late, {row.product_id for row in rows}) if late else {}

    def offered(row) -> int:
        return contribution(row, weights[row.location_id], buffers.get((row.location_id, row.product_id), 0))

    short, plan = [], []
    for sku, quantity in wanted.items():
        rows = by_sku.get(sku, [])
        available = ats(sum(offered(row) for row in rows), rule)
        if quantity > available:
            short.append({"sku": sku, "requested": quantity, "available": available})
            continue
        # Take from the locations with the most to spare first, so one store is not emptied by the web.
        left = quantity
        for row in sorted(rows, key=lambda r: -offered(r)):
            take = min(left, offered(row))
            if take > 0:
                plan.append((sku, row.location_id, row.product_id, take))
                left -= take
            if not left:
                break
    return plan, short


def _all_taken(plan: list, taken: set, wanted: dict) -> None:
    # The guard repeats the lock's arithmetic in SQL: a piece is never promised twice.
    for sku, location_id, product_id, _take in plan:
        if (location_id, product_id) not in taken:
            raise ApiProblem(409, "insufficient-stock", f"lines: {sku} was taken meanwhile", field="lines",
                             title="Insufficient stock", short=[{"sku": sku, "requested": wanted[sku], "available": 0}])


def get_reservation(session, reservation_id) -> Reservation:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise ApiProblem(404, "unknown-reservation", f"reservation_id: no reservation {reservation_id}",
                         field="reservation_id")
    return reservation


def move(session, reservation: Reservation, to_status: str, now: dt.datetime | None = None, detail: str = "",
         order_id: str | None = None) -> bool:
    """Change status if the reservation is still where we found it; False when someone else moved it first."""
    now = now or utcnow()
    from_status = reservation.status
    delta = TRANSITIONS.get((from_status, to_status))
    if delta is None:
        raise ApiProblem(409, "reservation-not-" + ("held" if from_status != "held" else to_status),
                         f"reservation_id: the reservation is {from_status}", field="reservation_id",
                         reservation_status=from_status)
    values = {"status": to_status, "updated_at": now}
    if order_id is not None:
        values["order_id"] = order_id
    claimed = session.execute(update(Reservation).where(Reservation.id == reservation.id,
                                                        Reservation.status == from_status)
                              .values(**values)).rowcount
    if not claimed:
        return False
    lines = list(session.scalars(select(ReservationLine).where(ReservationLine.reservation_id == reservation.id)))
    d_reserved, d_committed = delta
    for line in sorted(lines, key=lambda l: (str(l.location_id), str(l.product_id))):
        session.execute(update(StockLevel).where(StockLevel.location_id == line.location_id,
                                                 StockLevel.product_id == line.product_id)
                        .values(reserved=StockLevel.reserved + d_reserved * line.quantity,
                                committed=StockLevel.committed + d_committed * line.quantity))
    if to_status in ("fulfilled", "returned"):
        sign, reason = (-1, "sale") if to_status == "fulfilled" else (1, "return")
        by_location: dict = {}
        for line in lines:
            by_location.setdefault(line.location_id, []).append((line.product_id, sign * line.quantity))
        for location_id, movements in by_location.items():
            record_movements(session, location_id, movements, reason, reservation.id)
    publish_holds(session, {(line.location_id, line.product_id) for line in lines})
    session.add(ReservationEvent(reservation_id=reservation.id, status=to_status, at=now, detail=detail[:200]))
    session.flush()
    session.refresh(reservation)
    return True


def _expired_by_now(reservation: Reservation, now: dt.datetime) -> bool:
    expires = reservation.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.timezone.utc)
    return reservation.status == "held" and expires <= now


def commit(session, reservation_id, order_id: str, now: dt.datetime | None = None) -> Reservation:
    """The checkout became an order: held pieces become committed until shipped."""
    now = now or utcnow()
    reservation = get_reservation(session, reservation_id)
    if reservation.status == "committed" and reservation.order_id == order_id:
        return reservation  # asked twice: the same answer
    if _expired_by_now(reservation, now):
        raise ApiProblem(409, "reservation-expired", "reservation_id: the reservation expired", field="reservation_id",
                         reservation_status="expired")
    if not move(session, reservation, "committed", now, f"order {order_id}", order_id=order_id):
        raise ApiProblem(409, "reservation-changed", "reservation_id: changed meanwhile; read it again",
                         field="reservation_id")
    return reservation


def release(session, reservation_id, now: dt.datetime | None = None, detail: str = "released by client") -> Reservation:
    reservation = get_reservation(session, reservation_id)
    if reservation.status in ("released", "expired"):
        return reservation  # nothing is held any more either way
    if not move(session, reservation, "released", now, detail):
        raise ApiProblem(409, "reservation-changed", "reservation_id: changed meanwhile; read it again",
                         field="reservation_id")
    return reservation


def fulfil(session, reservation_id, now: dt.datetime | None = None) -> Reservation:
    """Shipped (or collected): committed pieces leave on hand through the ledger."""
    reservation = get_reservation(session, reservation_id)
    if reservation.status == "fulfilled":
        return reservation
    if not move(session, reservation, "fulfilled", now, "shipped"):
        raise ApiProblem(409, "reservation-changed", "reservation_id: changed meanwhile; read it again",
                         field="reservation_id")
    return reservation


def give_back(session, reservation_id, detail: str, now: dt.datetime | None = None) -> Reservation:
    """The order behind it was cancelled or refunded: its pieces are free again. Pieces still held or
    committed are released; pieces already shipped come back on hand at the locations they left, as
    a store return (ledger reason ``return``). Asked again, nothing moves twice."""
    reservation = get_reservation(session, reservation_id)
    to_status = {"held": "released", "committed": "released", "fulfilled": "returned"}.get(reservation.status)
    if to_status is None:
        return reservation  # released, expired or returned already
    if not move(session, reservation, to_status, now, detail):
        raise ApiProblem(409, "reservation-changed", "reservation_id: changed meanwhile; read it again",
                         field="reservation_id")
    return reservation


def expire_due(session, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Release held reservations whose time is up (the worker calls this)."""
    now = now or utcnow()
    expired = 0
    for reservation in session.scalars(select(Reservation).where(Reservation.status == "held",
                                                                 Reservation.expires_at <= now)
                                       .order_by(Reservation.expires_at).limit(limit)).all():
        if move(session, reservation, "expired", now, "time is up"):
            expired += 1
    return expired


def reservation_json(reservation: Reservation) -> dict:
    lines: dict = {}
    for line in reservation.lines:
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    return {"id": str(reservation.id), "channel": reservation.channel, "reference": reservation.reference,
            "status": reservation.status, "expires_at": reservation.expires_at.isoformat(),
            "order_id": reservation.order_id, "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
            "created_at": reservation.created_at.isoformat()}
