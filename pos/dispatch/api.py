"""Dispatch over HTTP: couriers, deliveries, planning (managers) and the courier's own schedule and reports."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select

from pos.dispatch import access, planning, schedule, services
from pos.dispatch.deliveries import GeoPoint
from pos.dispatch.mapping import courier_json, delivery_json
from pos.dispatch.models import Assignment, Courier
from pos.dispatch.schemas import (CancelIn, CourierIn, CourierPath, DaysOffIn, DeliveryIn, DeliveryPath, DeliveryQuery,
                                  PinIn, PlanIn, ScheduleQuery, StatusIn, WeekQuery)
from pos.http import BEARER, BEARER_OR_QUERY_TOKEN, run, settings
from pos.problems import invalid
from pos.stock.problem_docs import problem_responses

api = APIBlueprint("dispatch", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="dispatch")],
                   abp_security=BEARER, abp_responses=problem_responses(400, 401, 403, 404, 409, 422))

SCHEDULE_DAYS = 7  # a courier's schedule shows a week unless asked otherwise


def today() -> dt.date:
    """The shop's date (its country's time zone), not the server's."""
    return dt.datetime.now(ZoneInfo(settings().country.timezone)).date()


def depot() -> GeoPoint | None:
    value = current_app.config.get("POS_DISPATCH_DEPOT", "")
    if not value:
        return None
    lat, lon = (float(part) for part in value.split(","))
    return GeoPoint(lat, lon)


def as_manager(work, **kw):
    """``work(session, manager)`` for managers only (bearer token of a manager's login)."""
    return run(lambda session, _till: work(session, access.manager(session)), auth=False, **kw)


def _links(courier, token: str) -> dict:
    return {
        "token": token,
        "schedule_url": url_for("dispatch_pages.courier_page", courier_id=courier.id, token=token, _external=True),
        "calendar_url": url_for("dispatch_pages.courier_calendar", courier_id=courier.id, token=token,
                                _external=True),
    }


# --- couriers ---------------------------------------------------------------------------------------------------

@api.post("/couriers", responses={201: None})
def create_courier(body: CourierIn):
    """A new courier. The answer carries the secret link token and links — shown this once only."""
    def work(session, _manager):
        courier, token = services.create_courier(session, body)
        return {**courier_json(courier), **_links(courier, token)}, 201
    return as_manager(work)


@api.get("/couriers")
def list_couriers():
    def work(session, _manager):
        off = services.days_off(session)
        rows = session.execute(select(Courier).order_by(Courier.name, Courier.id)).scalars()
        return {"items": [courier_json(c, off.get(c.id, ())) for c in rows]}
    return as_manager(work, read_only=True)


@api.post("/couriers/<courier_id>/link")
def rotate_link(path: CourierPath):
    """A new secret link for the courier (a lost phone); the old link stops working."""
    def work(session, _manager):
        courier = services.get_courier(session, path.courier_id)
        return {**courier_json(courier), **_links(courier, services.rotate_link(session, courier))}
    return as_manager(work)


@api.post("/couriers/<courier_id>/days-off")
def add_days_off(path: CourierPath, body: DaysOffIn):
    """Days the courier will not drive (sick, leave). By default the next 14 days are re-planned at once,
    incrementally: only this courier's stops on those days move; everyone else's stay put."""
    def work(session, _manager):
        courier = services.get_courier(session, path.courier_id)
        added = services.add_days_off(session, courier, body.days, body.reason, today())
        answer = {"courier": courier_json(courier, services.days_off(session, [courier.id]).get(courier.id, ())),
                  "added": [d.isoformat() for d in added], "plan": None}
        if body.replan:
            answer["plan"] = planning.run_plan(session, start=today(), mode="incremental", depot=depot())
        return answer
    return as_manager(work)


@api.get("/couriers/<courier_id>/schedule", security=BEARER_OR_QUERY_TOKEN)
def courier_schedule(path: CourierPath, query: ScheduleQuery):
    """The courier's days and ordered stops. The courier's link token (bearer or ?token=) or a manager's login."""
    first = query.from_ or today()
    last = query.to or first + dt.timedelta(days=SCHEDULE_DAYS - 1)
    if last < first:
        raise invalid("to", f"{last} is before from {first}")
    if (last - first).days > 62:
        raise invalid("to", "at most 63 days at once")

    def work(session, _till):
        courier, _actor = access.schedule_reader(session, path.courier_id)
        return schedule.courier_schedule(session, courier, first, last)
    return run(work, read_only=True, auth=False)


# --- deliveries -------------------------------------------------------------------------------------------------

@api.post("/deliveries", responses={201: None, 200: None})
def create_delivery(body: DeliveryIn):
    """A delivery for a web order, a marketplace order with local delivery, or a store sale delivered home.
    The same source + source_ref again returns the first delivery (200) instead of a second one."""
    def work(session, manager):
        delivery, created = services.create_delivery(session, body, settings().country.code, today(),
                                                     f"manager:{manager.login}")
        return delivery_json(delivery, session.get(Assignment, delivery.id)), 201 if created else 200
    return as_manager(work)


@api.get("/deliveries")
def list_deliveries(query: DeliveryQuery):
    def work(session, _manager):
        return {"items": [delivery_json(d, a) for d, a in services.list_deliveries(session, query.status, query.day)]}
    return as_manager(work, read_only=True)


@api.get("/deliveries/<delivery_id>")
def get_delivery(path: DeliveryPath):
    def work(session, _manager):
        delivery = services.get_delivery(session, path.delivery_id)
        return {**delivery_json(delivery, session.get(Assignment, delivery.id)),
                "history": services.history(session, delivery.id)}
    return as_manager(work, read_only=True)


@api.post("/deliveries/<delivery_id>/cancel")
def cancel_delivery(path: DeliveryPath, body: CancelIn):
    def work(session, manager):
        delivery = services.cancel(session, services.get_delivery(session, path.delivery_id, for_update=True),
                                   body.reason, f"manager:{manager.login}")
        return delivery_json(delivery)
    return as_manager(work)


@api.post("/deliveries/<delivery_id>/reopen")
def reopen_delivery(path: DeliveryPath):
    """A failed delivery back to the planner; the next plan gives it a new day."""
    def work(session, manager):
        delivery = services.reopen(session, services.get_delivery(session, path.delivery_id, for_update=True),
                                   f"manager:{manager.login}")
        return delivery_json(delivery)
    return as_manager(work)


@api.put("/deliveries/<delivery_id>/pin")
def pin_delivery(path: DeliveryPath, body: PinIn):
    """Pin the delivery to a courier and/or a day; the planner keeps pins (they apply at the next plan)."""
    def work(session, _manager):
        delivery = services.get_delivery(session, path.delivery_id, for_update=True)
        services.pin(session, delivery, body.courier_id, body.day, today())
        return delivery_json(delivery, session.get(Assignment, delivery.id))
    return as_manager(work)


@api.post("/deliveries/<delivery_id>/status", security=BEARER_OR_QUERY_TOKEN)
def report_status(path: DeliveryPath, body: StatusIn):
    """From the road: picked_up / out_for_delivery / delivered / failed (with a reason). The courier's link
    token (bearer or ?token=) for their own stops, or a manager's login. Repeating the last report is harmless."""
    def work(session, _till):
        courier, actor = access.status_reporter(session)
        delivery = services.get_delivery(session, path.delivery_id, for_update=True)
        delivery, changed = services.report_status(session, delivery, body.status, body.reason, courier, actor)
        return {"id": str(delivery.id), "status": delivery.status, "failure_reason": delivery.failure_reason or None,
                "recorded": changed}
    return run(work, auth=False)


# --- planning -----------------------------------------------------------------------------------------------------

@api.post("/dispatch/plan")
def plan(body: PlanIn):
    """Plan the horizon (default: 14 days from today). Incremental keeps every still-feasible assignment
    and places only new and displaced deliveries; full re-plans everything not yet in a van. Parcels out
    for delivery never move. Answers balance figures and what stayed unassigned, with the reason."""
    start = body.start or today()
    if start < today():
        raise invalid("start", f"{start} is in the past; past days are not re-planned")

    def work(session, _manager):
        return planning.run_plan(session, start=start, days=body.days, mode=body.mode,
                                 max_moves=body.max_moves, depot=depot())
    return as_manager(work)


@api.get("/dispatch/week")
def week(query: WeekQuery):
    """Couriers × days of one week: stops, parcels and weight per cell, and the load chart as SVG."""
    return as_manager(lambda session, _m: schedule.week(session, query.start or today()), read_only=True)
