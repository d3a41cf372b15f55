"""Run the planner over the database and publish its plan, all in the caller's one transaction.

Rows are locked first (couriers, then the deliveries in play), so on PostgreSQL two plans, or a
plan and a courier's "picked up", cannot interleave: a parcel reported in the van while a plan is
being computed waits for the plan to commit, and a plan started after it sees it as locked.
SQLite serialises writers anyway (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select

from pos.dispatch.deliveries import GeoPoint
from pos.dispatch.horizon import Horizon
from pos.dispatch.mapping import delivery_json, plain_assignment, plain_courier, plain_delivery
from pos.dispatch.models import Assignment, Courier, Delivery, DeliveryStatusEvent
from pos.dispatch.planner import PlannerSettings, plan_deliveries
from pos.dispatch.services import days_off
from pos.feed.services import record_change

IN_PLAY = ("open", "assigned", "out_for_delivery", "delivered")
PLANNABLE = ("open", "assigned")
LOCKED = ("out_for_delivery", "delivered")


def run_plan(session, *, start: dt.date, days: int = 14, mode: str = "incremental", max_moves: int = 0,
             depot: GeoPoint | None = None, settings: PlannerSettings | None = None) -> dict:
    horizon = Horizon(start, days)
    courier_rows = list(session.execute(select(Courier).order_by(Courier.id).with_for_update()).scalars())
    off = days_off(session)
    couriers = [plain_courier(c, off.get(c.id, ())) for c in courier_rows]

    rows = session.execute(
        select(Delivery, Assignment).outerjoin(Assignment, Assignment.delivery_id == Delivery.id)
        .where(Delivery.status.in_(IN_PLAY))
        # Delivered long ago is history, not load: only what falls in the horizon counts.
        .where(or_(Delivery.status != "delivered", and_(Assignment.day >= horizon.start,
                                                         Assignment.day <= horizon.end)))
        .order_by(Delivery.id)
        .with_for_update(of=Delivery)).all()
    deliveries = {d.id: d for d, _ in rows}
    current = {d.id: a for d, a in rows if a is not None}
    previous = [plain_assignment(a) for d_id, a in current.items()
                if mode == "incremental" or deliveries[d_id].status in LOCKED]

    settings = settings or PlannerSettings(max_moves=max_moves)
    plan = plan_deliveries([plain_delivery(d) for d in deliveries.values()], couriers, horizon,
                           previous=previous, depot=depot, settings=settings)

    planned = plan.by_delivery()
    changed = 0
    for delivery_id, delivery in deliveries.items():
        new, old = planned.get(delivery_id), current.get(delivery_id)
        if delivery.status in LOCKED:
            if new is not None and old is not None and old.sequence != new.sequence:
                old.sequence = new.sequence  # its place is kept; the numbering around it may change
            continue
        if new is None:
            if old is not None:
                session.delete(old)
            moved = old is not None
            _status(session, delivery, "open")
        else:
            moved = old is None or (old.courier_id, old.day) != (new.courier_id, new.day)
            if old is None:
                old = Assignment(delivery_id=delivery_id)
                session.add(old)
            if moved or old.sequence != new.sequence:
                old.courier_id, old.day, old.sequence = new.courier_id, new.day, new.sequence
                old.planned_at = dt.datetime.now(dt.timezone.utc)
            _status(session, delivery, "assigned")
        if moved:
            changed += 1
            session.flush()
            record_change(session, "delivery", delivery_id, delivery_json(delivery, None if new is None else old),
                          op="updated")
    session.flush()
    return _plan_json(plan, horizon, mode, changed, courier_rows)


def _status(session, delivery: Delivery, status: str) -> None:
    if delivery.status != status:
        delivery.status = status
        session.add(DeliveryStatusEvent(delivery_id=delivery.id, status=status, actor="planner"))


def _plan_json(plan, horizon: Horizon, mode: str, changed: int, couriers) -> dict:
    names = {c.id: c.name for c in couriers}
    balance = plan.balance
    return {
        "mode": mode,
        "horizon": {"start": horizon.start.isoformat(), "end": horizon.end.isoformat(), "days": horizon.days},
        "method": plan.method,
        "assigned": len(plan.assignments),
        "moved": [str(d) for d in plan.moved],
        "changed": changed,
        "unassigned": [{"delivery_id": str(u.delivery_id), "reason": u.reason.value, "detail": u.detail}
                       for u in plan.unassigned],
        "balance": {
            "courier_day": _stats(balance.courier_day),
            "courier_week": _stats(balance.courier_week),
            "weeks": [{"week_start": w.week_start.isoformat(), "stops": w.stops, **_stats(w.courier_day)}
                      for w in balance.weeks],
        },
        "per_courier": [
            {"courier_id": str(c.id), "name": names[c.id],
             "stops": sum(1 for a in plan.assignments if a.courier_id == c.id)} for c in couriers],
    }


def _stats(stats) -> dict:
    return {"busiest": stats.busiest, "lightest": stats.lightest, "mean": round(stats.mean, 2),
            "spread": stats.spread, "ratio": None if stats.ratio is None else round(stats.ratio, 3),
            "count": stats.count}
