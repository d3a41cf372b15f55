"""Couriers and deliveries: create, cancel, pin, days off, and what couriers report from the road.

Every change of a delivery's status appends a DeliveryStatusEvent and a ``delivery`` entry in the
change feed (webhooks read it as ``delivery.updated``), in the caller's transaction.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from pos.customers.models import Customer
from pos.customers.services import record_interaction
from pos.dispatch.access import new_link_token
from pos.dispatch.mapping import delivery_json
from pos.dispatch.models import Assignment, Courier, CourierDayOff, Delivery, DeliveryStatusEvent
from pos.feed.services import record_change
from pos.problems import ApiProblem, invalid

# What a postal code looks like where the shop delivers (its own country).
POSTAL_CODES = {
    "PL": (re.compile(r"\d{2}-\d{3}"), "like 00-950"),
    "CZ": (re.compile(r"\d{3} ?\d{2}"), "like 110 00"),
    "UA": (re.compile(r"\d{5}"), "like 01001"),
}
# Courier reports → the delivery's new status. Picked up means the parcel is in the van.
REPORTED = {"picked_up": "out_for_delivery", "out_for_delivery": "out_for_delivery",
            "delivered": "delivered", "failed": "failed"}
ON_THE_ROAD = ("assigned", "out_for_delivery")


# --- couriers ---------------------------------------------------------------------------------------------------

def create_courier(session, body) -> tuple[Courier, str]:
    """The new courier and the secret for their link (shown once; only its hash is kept)."""
    if not set(body.working_days) <= set(range(7)) or len(set(body.working_days)) != len(body.working_days):
        raise invalid("working_days", "distinct weekday numbers 0 (Monday) … 6 (Sunday)")
    if body.shift_end <= body.shift_start:
        raise invalid("shift_end", "the shift must end after it starts")
    prefixes = [p.strip() for p in body.postal_prefixes]
    if any(not p for p in prefixes):
        raise invalid("postal_prefixes", "an empty prefix would match every address")
    token, digest = new_link_token()
    courier = Courier(name=body.name.strip(), working_days=sorted(body.working_days), shift_start=body.shift_start,
                      shift_end=body.shift_end, max_stops=body.max_stops, max_weight_g=body.max_weight_g,
                      postal_prefixes=prefixes, areas=[a.strip() for a in body.areas if a.strip()],
                      token_hash=digest)
    session.add(courier)
    session.flush()
    return courier, token


def rotate_link(session, courier: Courier) -> str:
    """A new secret link; the old one (and calendars subscribed to it) stop working at once."""
    token, courier.token_hash = new_link_token()
    return token


def get_courier(session, courier_id, field: str = "courier_id") -> Courier:
    courier = session.get(Courier, courier_id)
    if courier is None:
        raise ApiProblem(404, "not-found", f"{field}: no courier {courier_id}", field=field)
    return courier


def days_off(session, courier_ids=None) -> dict:
    query = select(CourierDayOff.courier_id, CourierDayOff.day)
    if courier_ids is not None:
        query = query.where(CourierDayOff.courier_id.in_(list(courier_ids)))
    found: dict = {}
    for courier_id, day in session.execute(query):
        found.setdefault(courier_id, set()).add(day)
    return found


def add_days_off(session, courier: Courier, days, reason: str, today: dt.date) -> list[dt.date]:
    """Record the days (idempotently); days already past cannot be changed."""
    past = [d for d in days if d < today]
    if past:
        raise invalid("days", f"{past[0]} is in the past")
    known = days_off(session, [courier.id]).get(courier.id, set())
    added = sorted(set(days) - known)
    session.add_all(CourierDayOff(courier_id=courier.id, day=d, reason=reason) for d in added)
    session.flush()
    return added


# --- deliveries -------------------------------------------------------------------------------------------------

def create_delivery(session, body, country: str, today: dt.date, actor: str) -> tuple[Delivery, bool]:
    """A delivery for an order or a sale; the same source and reference again returns the first (False)."""
    existing = session.execute(select(Delivery).where(Delivery.source == body.source,
                                                      Delivery.source_ref == body.source_ref)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    earliest, latest = _requested_dates(body, today)
    _check_window(body.window_start, body.window_end)
    postal_code = _check_address(body.address, country)
    customer_id = _customer(session, body.customer_id)
    delivery = Delivery(
        source=body.source, source_ref=body.source_ref, customer_id=customer_id, recipient=body.recipient.strip(),
        phone=body.phone.strip(), street=body.address.street.strip(), city=body.address.city.strip(),
        postal_code=postal_code, area=(body.address.area or "").strip() or None,
        lat=body.address.lat, lon=body.address.lon, parcels=body.parcels, weight_g=body.weight_g,
        earliest=earliest, latest=latest, window_start=body.window_start, window_end=body.window_end,
        notes=body.notes.strip(), status="open")
    session.add(delivery)
    session.flush()
    _event(session, delivery, "open", actor, details={"source": body.source, "source_ref": body.source_ref})
    record_change(session, "delivery", delivery.id, delivery_json(delivery), op="created")
    return delivery, True


def deliver_home(session, source: str, source_ref, customer_id, home, country: str, today: dt.date,
                 actor: str) -> Delivery:
    """A delivery for a store sale or an order that asked for the shop's couriers (idempotent by source)."""
    from pos.dispatch.schemas import DeliveryIn

    body = DeliveryIn(source=source, source_ref=str(source_ref), customer_id=customer_id, **home.model_dump())
    delivery, _ = create_delivery(session, body, country, today, actor)
    return delivery


def shop_today(timezone: str) -> dt.date:
    from zoneinfo import ZoneInfo
    return dt.datetime.now(ZoneInfo(timezone)).date()


def _requested_dates(body, today):
    if body.date is not None and (body.earliest is not None or body.latest is not None):
        raise invalid("date", "give either date or earliest/latest, not both")
    earliest, latest = (body.date, body.date) if body.date is not None else (body.earliest, body.latest)
    if earliest and latest and latest < earliest:
        raise invalid("latest", f"{latest} is before earliest {earliest}")
    if latest is not None and latest < today:
        raise invalid("date" if body.date else "latest", f"{latest} is in the past")
    return earliest, latest


def _check_window(start, end):
    if (start is None) != (end is None):
        raise invalid("window_end" if end is None else "window_start", "a time window needs both a start and an end")
    if start is not None and end <= start:
        raise invalid("window_end", f"{end:%H:%M} is not after {start:%H:%M}")


def _check_address(address, country: str) -> str:
    if (address.lat is None) != (address.lon is None):
        raise invalid("address.lon" if address.lon is None else "address.lat", "give both lat and lon, or neither")
    if not address.street.strip():
        raise invalid("address.street", "the street and number are needed")
    if not address.city.strip():
        raise invalid("address.city", "the city is needed")
    code = address.postal_code.strip()
    rule = POSTAL_CODES.get(country.upper())
    if rule and not rule[0].fullmatch(code):
        raise invalid("address.postal_code", f"{code!r} is not a {country} postal code ({rule[1]})")
    return code


def _customer(session, customer_id):
    if customer_id is None:
        return None
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise invalid("customer_id", f"no customer {customer_id}")
    seen = set()
    while customer.merged_into is not None and customer.id not in seen:  # a merged profile lives on in its survivor
        seen.add(customer.id)
        customer = session.get(Customer, customer.merged_into)
    return customer.id


def get_delivery(session, delivery_id, *, for_update: bool = False) -> Delivery:
    query = select(Delivery).where(Delivery.id == delivery_id)
    if for_update:
        query = query.with_for_update()  # a courier's report and a re-plan must not cross
    delivery = session.execute(query).scalar_one_or_none()
    if delivery is None:
        raise ApiProblem(404, "not-found", f"delivery_id: no delivery {delivery_id}", field="delivery_id")
    return delivery


def list_deliveries(session, status=None, day=None) -> list[tuple[Delivery, Assignment | None]]:
    query = select(Delivery, Assignment).outerjoin(Assignment, Assignment.delivery_id == Delivery.id)
    if status:
        query = query.where(Delivery.status == status)
    if day:
        query = query.where(Assignment.day == day)
    query = query.order_by(Assignment.day, Assignment.courier_id, Assignment.sequence, Delivery.created_at)
    return list(session.execute(query))


def history(session, delivery_id) -> list[dict]:
    rows = session.execute(select(DeliveryStatusEvent).where(DeliveryStatusEvent.delivery_id == delivery_id)
                           .order_by(DeliveryStatusEvent.at, DeliveryStatusEvent.id)).scalars()
    return [{"at": e.at.isoformat(), "status": e.status, "reason": e.reason or None, "actor": e.actor,
             "courier_id": str(e.courier_id) if e.courier_id else None} for e in rows]


def cancel(session, delivery: Delivery, reason: str, actor: str) -> Delivery:
    if delivery.status == "cancelled":
        return delivery
    if delivery.status not in ("open", "assigned", "failed"):
        raise ApiProblem(409, "delivery-on-the-road",
                         f"status: the delivery is {delivery.status}; a parcel in the van comes back as failed",
                         field="status")
    _drop_assignment(session, delivery)
    _set_status(session, delivery, "cancelled", actor, reason=reason)
    return delivery


def pin(session, delivery: Delivery, courier_id, day, today: dt.date) -> Delivery:
    """The manager's decision the planner keeps: this courier and/or this day (None clears)."""
    if delivery.status not in ("open", "assigned"):
        raise ApiProblem(409, "not-plannable", f"status: a {delivery.status} delivery cannot be pinned", field="status")
    if courier_id is not None:
        get_courier(session, courier_id, field="courier_id")
    if day is not None and day < today:
        raise invalid("day", f"{day} is in the past")
    if day is not None and ((delivery.earliest and day < delivery.earliest) or (delivery.latest and day > delivery.latest)):
        raise invalid("day", f"{day} is outside the requested dates {delivery.earliest}…{delivery.latest}")
    delivery.pin_courier_id, delivery.pin_day = courier_id, day
    return delivery


def report_status(session, delivery: Delivery, reported: str, reason: str, courier: Courier | None,
                  actor: str) -> tuple[Delivery, bool]:
    """A courier's (or a manager's) report from the road; (delivery, False) when it repeats the last one."""
    assignment = session.get(Assignment, delivery.id)
    if courier is not None and (assignment is None or assignment.courier_id != courier.id):
        # Not this courier's stop: do not reveal it exists.
        raise ApiProblem(404, "not-found", "delivery_id: not one of your stops", field="delivery_id")
    new_status = REPORTED[reported]
    reason = reason.strip()
    if reported == "failed" and not reason:
        raise invalid("reason", "say why the delivery failed (nobody home, wrong address, refused …)")
    if delivery.status == new_status:
        return delivery, False  # a double tap or a retried request on a bad connection
    if delivery.status not in ON_THE_ROAD:
        raise ApiProblem(409, "not-on-the-road", f"status: the delivery is {delivery.status}", field="status")
    courier_row = courier or (session.get(Courier, assignment.courier_id) if assignment else None)
    _set_status(session, delivery, new_status, actor, reason=reason, reported=reported, assignment=assignment,
                courier=courier_row)
    if delivery.customer_id is not None:
        record_interaction(session, delivery.customer_id, "courier", "delivery", delivery.id, {
            "status": reported, "reason": reason or None, "source": delivery.source,
            "source_ref": delivery.source_ref, "courier": courier_row.name if courier_row else None,
            "day": assignment.day.isoformat() if assignment else None})
    return delivery, True


def reopen(session, delivery: Delivery, actor: str) -> Delivery:
    """A failed delivery goes back to the planner (the next plan gives it a new day)."""
    if delivery.status != "failed":
        raise ApiProblem(409, "not-failed", f"status: only a failed delivery can be reopened, this one is "
                                            f"{delivery.status}", field="status")
    _drop_assignment(session, delivery)
    _set_status(session, delivery, "open", actor)
    return delivery


def _drop_assignment(session, delivery: Delivery) -> None:
    assignment = session.get(Assignment, delivery.id)
    if assignment is not None:
        session.delete(assignment)
        session.flush()


def _set_status(session, delivery: Delivery, status: str, actor: str, *, reason: str = "", reported: str | None = None,
                assignment: Assignment | None = None, courier: Courier | None = None) -> None:
    delivery.status = status
    delivery.failure_reason = reason if status == "failed" else ""
    delivery.updated_at = dt.datetime.now(dt.timezone.utc)
    details = {}
    if assignment is not None:
        details = {"day": assignment.day.isoformat(), "sequence": assignment.sequence}
    _event(session, delivery, reported or status, actor, reason=reason,
           courier_id=courier.id if courier else None, details=details)
    session.flush()
    payload = delivery_json(delivery, session.get(Assignment, delivery.id))
    payload["event"] = {"status": reported or status, "reason": reason or None, "actor": actor}
    record_change(session, "delivery", delivery.id, payload, op="updated")


def _event(session, delivery, status, actor, *, reason="", courier_id=None, details=None):
    session.add(DeliveryStatusEvent(delivery_id=delivery.id, status=status, reason=reason, actor=actor,
                                    courier_id=courier_id, details=details or {}))
