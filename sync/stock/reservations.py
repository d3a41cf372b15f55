"""Reservations: stock held for a web checkout or a marketplace order, all lines or none.

Holding locks the (location, product) level rows of the asked SKUs, computes the channel's ATS from
those locked rows, and raises ``reserved`` with a guarded UPDATE per row — so concurrent checkouts,
store sales and transfers can never take the same piece twice."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.problems import ApiProblem
from pos.stock.models import Reservation, ReservationEvent, ReservationLine, StockLevel
from pos.stock.services import lock_levels, record_movements
from sync.stock.availability import Freshness, ats, contribution, location_weights, serving
from sync.stock.channels import channel_rule

MAX_TTL_SECONDS = 7 * 24 * 3600

# status → status: how the level columns move (reserved, committed) per reserved piece
TRANSITIONS = {
    ("held", "committed"): (-1, +1),
    ("held", "released"): (-1, 0),
    ("held", "expired"): (-1, 0),
    ("committed", "released"): (0, -1),
    ("committed", "fulfilled"): (0, -1),
}


def hold(session, freshness: Freshness, channel: str, reference: str, ttl_seconds: int, lines: list[dict],
         now: dt.datetime | None = None) -> Reservation:
    now = now or utcnow()
    rule = channel_rule(session, channel)
    if rule is None:
        raise ApiProblem(422, "unknown-channel", f"channel: no sales channel {channel!r}", field="channel")
    if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ApiProblem(422, "invalid-field", f"ttl_seconds: between 1 and {MAX_TTL_SECONDS}", field="ttl_seconds")
    wanted: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line["sku"] in wanted:
            raise ApiProblem(422, "duplicate-line", f"lines[{index}].sku: listed twice", field=f"lines[{index}].sku")
        wanted[line["sku"]] = line["quantity"]
    products = {p.sku: p.id for p in session.execute(select(Product.sku, Product.id)
                                                     .where(Product.sku.in_(list(wanted))))}
    for index, sku in enumerate(wanted):
        if sku not in products:
            raise ApiProblem(422, "unknown-sku", f"lines[{index}].sku: no product {sku!r}", field=f"lines[{index}].sku")
    if session.scalar(select(Reservation.id).where(Reservation.channel == channel,
                                                   Reservation.reference == reference)) is not None:
        raise ApiProblem(409, "reference-taken", f"reference: {channel} already has a reservation {reference!r}",
                         field="reference")
    locations = serving(rule, location_weights(session, freshness, now))
    levels = lock_levels(session, [(lid, pid) for lid in locations for pid in products.values()],
                         create_missing=False)
    short, plan = [], []
    for sku, quantity in wanted.items():
        rows = [levels[(lid, products[sku])] for lid in locations if (lid, products[sku]) in levels]
        available = ats(sum(contribution(row, locations[row.location_id]) for row in rows), rule)
        if quantity > available:
            short.append({"sku": sku, "requested": quantity, "available": available})
            continue
        # Take from the locations with the most to spare first, so one store is not emptied by the web.
        left = quantity
        for row in sorted(rows, key=lambda r: -contribution(r, locations[r.location_id])):
            take = min(left, contribution(row, locations[row.location_id]))
            if take > 0:
                plan.append((sku, row.location_id, products[sku], take))
                left -= take
            if not left:
                break
    if short:
        raise ApiProblem(409, "insufficient-stock",
                         "lines: not enough available for " + ", ".join(s["sku"] for s in short),
                         field="lines", title="Insufficient stock", short=short)
    reservation = Reservation(channel=channel, reference=reference, status="held", created_at=now, updated_at=now,
                              expires_at=now + dt.timedelta(seconds=ttl_seconds))
    session.add(reservation)
    session.flush()
    for sku, location_id, product_id, take in plan:
        # The guard repeats the lock's arithmetic in SQL: a piece is never promised twice.
        moved = session.execute(update(StockLevel).where(
            StockLevel.location_id == location_id, StockLevel.product_id == product_id,
            StockLevel.on_hand - StockLevel.reserved - StockLevel.committed - StockLevel.safety_stock >= take)
            .values(reserved=StockLevel.reserved + take)).rowcount
        if moved != 1:
            raise ApiProblem(409, "insufficient-stock", f"lines: {sku} was taken meanwhile", field="lines",
                             title="Insufficient stock", short=[{"sku": sku, "requested": wanted[sku], "available": 0}])
    session.execute(insert(ReservationLine), [
        {"reservation_id": reservation.id, "position": position, "location_id": location_id,
         "product_id": product_id, "sku": sku, "quantity": take}
        for position, (sku, location_id, product_id, take) in enumerate(plan, start=1)])
    session.add(ReservationEvent(reservation_id=reservation.id, status="held", at=now,
                                 detail=f"ttl {ttl_seconds}s"))
    return reservation


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
    if to_status == "fulfilled":
        by_location: dict = {}
        for line in lines:
            by_location.setdefault(line.location_id, []).append((line.product_id, -line.quantity))
        for location_id, movements in by_location.items():
            record_movements(session, location_id, movements, "sale", reservation.id)
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
