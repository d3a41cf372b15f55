"""What a courier's day looks like (JSON, page, calendar feed) and the manager's week at a glance."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from pos.dispatch.calendar import courier_feed
from pos.dispatch.chart import load_chart_svg
from pos.dispatch.horizon import week_of
from pos.dispatch.mapping import plain_assignment, plain_courier, plain_delivery, stop_json
from pos.dispatch.models import Assignment, Courier, Delivery
from pos.dispatch.services import days_off

# The calendar shows this much of the past, so yesterday's stops do not vanish from the phone at midnight.
FEED_PAST_DAYS = 7


def _stops(session, courier_id, first: dt.date, last: dt.date | None = None):
    query = (select(Delivery, Assignment).join(Assignment, Assignment.delivery_id == Delivery.id)
             .where(Assignment.courier_id == courier_id, Assignment.day >= first)
             .where(Delivery.status != "cancelled")
             .order_by(Assignment.day, Assignment.sequence))
    if last is not None:
        query = query.where(Assignment.day <= last)
    return session.execute(query).all()


def courier_schedule(session, courier: Courier, first: dt.date, last: dt.date) -> dict:
    """Every day from ``first`` to ``last`` with its stops in visiting order."""
    off = days_off(session, [courier.id]).get(courier.id, set())
    plain = plain_courier(courier, off)
    by_day = defaultdict(list)
    for delivery, assignment in _stops(session, courier.id, first, last):
        by_day[assignment.day].append(stop_json(delivery, assignment))
    days = []
    day = first
    while day <= last:
        stops = by_day.get(day, [])
        days.append({
            "date": day.isoformat(), "working": plain.works_on(day), "day_off": day in off,
            "stops": stops, "parcels": sum(s["parcels"] for s in stops),
            "open_stops": sum(1 for s in stops if s["status"] in ("assigned", "out_for_delivery")),
        })
        day += dt.timedelta(days=1)
    return {
        "courier": {"id": str(courier.id), "name": courier.name, "shift_start": courier.shift_start.strftime("%H:%M"),
                    "shift_end": courier.shift_end.strftime("%H:%M")},
        "from": first.isoformat(), "to": last.isoformat(), "days": days,
    }


def courier_calendar(session, courier: Courier, today: dt.date, *, timezone_name: str, shop_name: str,
                     uid_domain: str) -> bytes:
    """The courier's stops from a week ago on, one VEVENT each; failed ones drop out."""
    off = days_off(session, [courier.id]).get(courier.id, set())
    rows = [(d, a) for d, a in _stops(session, courier.id, today - dt.timedelta(days=FEED_PAST_DAYS))
            if d.status != "failed"]
    deliveries = {d.id: plain_delivery(d) for d, _ in rows}
    return courier_feed(plain_courier(courier, off), [plain_assignment(a) for _, a in rows], deliveries,
                        timezone_name=timezone_name, shop_name=shop_name, uid_domain=uid_domain)


def week(session, any_day: dt.date) -> dict:
    """Couriers × the seven days of the week: stops, parcels and weight per cell, and the SVG load chart."""
    monday = week_of(any_day)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    couriers = list(session.execute(select(Courier).order_by(Courier.name, Courier.id)).scalars())
    off = days_off(session, [c.id for c in couriers])
    plain = [plain_courier(c, off.get(c.id, ())) for c in couriers]
    rows = session.execute(
        select(Assignment, Delivery.parcels, Delivery.weight_g).join(Delivery, Delivery.id == Assignment.delivery_id)
        .where(Assignment.day >= days[0], Assignment.day <= days[-1], Delivery.status != "cancelled")).all()
    cells = defaultdict(lambda: {"stops": 0, "parcels": 0, "weight_g": 0})
    for assignment, parcels, weight_g in rows:
        cell = cells[(assignment.courier_id, assignment.day)]
        cell["stops"] += 1
        cell["parcels"] += parcels
        cell["weight_g"] += weight_g
    table = []
    for courier, p in zip(couriers, plain):
        table.append({
            "courier_id": str(courier.id), "name": courier.name, "max_stops": courier.max_stops,
            "max_weight_g": courier.max_weight_g,
            "days": [{"date": d.isoformat(), "working": p.works_on(d), "day_off": d in p.days_off,
                      **cells[(courier.id, d)]} for d in days],
        })
    svg = load_chart_svg([plain_assignment(a) for a, _, _ in rows], plain, days,
                         title=f"Stops per courier and day, week of {monday:%d.%m.%Y}",
                         day_label=_short_day)
    return {"start": monday.isoformat(), "days": [d.isoformat() for d in days], "couriers": table,
            "unplanned": _unplanned_count(session), "svg": svg}


def _short_day(day: dt.date) -> str:
    # The chart's cells are narrow: "Mon 23" fits where "Mon 23.11" would run into its neighbour.
    return f"{day:%a} {day.day}"


def _unplanned_count(session) -> int:
    return len(session.execute(select(Delivery.id).where(Delivery.status == "open")).all())
