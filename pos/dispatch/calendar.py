"""A courier's stops as an iCalendar feed their phone can subscribe to.

One VEVENT per stop. The UID depends only on the delivery, so when a re-plan moves a stop
the phone updates the existing event instead of adding a second one. Times are local to the
shop, with the VTIMEZONE included, so phones in any setting show the right hour.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Mapping
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import icalendar

from pos.dispatch.couriers import Courier
from pos.dispatch.deliveries import Delivery, DeliveryId
from pos.dispatch.results import Assignment

PRODID = "-//Retail POS//Dispatch//EN"


def stop_uid(delivery_id: DeliveryId, domain: str) -> str:
    return f"delivery-{delivery_id}@{domain}"


def map_link(delivery: Delivery) -> str:
    if delivery.location is not None:
        lat, lon = delivery.location.lat, delivery.location.lon
        return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"
    return "https://www.openstreetmap.org/search?query=" + quote_plus(delivery.address.one_line())


def stop_times(courier: Courier, delivery: Delivery, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The part of the customer's window that falls in the courier's shift (the planner
    guarantees they overlap); the whole shift when the customer gave no window."""
    start, end = courier.shift_start, courier.shift_end
    if delivery.window_start is not None and delivery.window_end is not None:
        start = max(start, delivery.window_start)
        end = min(end, delivery.window_end)
        if end <= start:  # a stop kept from an older shift pattern: show the customer's window
            start, end = delivery.window_start, delivery.window_end
    return datetime.combine(day, start, tz), datetime.combine(day, end, tz)


def courier_feed(
    courier: Courier,
    assignments: Iterable[Assignment],
    deliveries: Mapping[DeliveryId, Delivery],
    *,
    timezone_name: str = "Europe/Warsaw",
    shop_name: str = "Shop",
    uid_domain: str = "dispatch.pos.invalid",
    generated_at: datetime | None = None,
) -> bytes:
    """The VCALENDAR (bytes, as served with ``text/calendar; charset=utf-8``) for ``courier``;
    assignments of other couriers are ignored, so a whole plan may be passed."""
    tz = ZoneInfo(timezone_name)
    stamp = (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    mine = sorted((a for a in assignments if a.courier_id == courier.id), key=lambda a: (a.day, a.sequence))

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{shop_name} – {courier.name}")
    cal.add("x-wr-timezone", timezone_name)
    # How often subscribing apps should fetch again (RFC 7986, and Outlook's older name).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")

    for a in mine:
        delivery = deliveries[a.delivery_id]
        cal.add_component(_stop_event(courier, a, delivery, tz, stamp, uid_domain))
    if mine:
        cal.add_missing_timezones(first_date=mine[0].day - timedelta(days=1), last_date=mine[-1].day + timedelta(days=366))
    return cal.to_ical()


def _stop_event(courier, a: Assignment, delivery: Delivery, tz, stamp, uid_domain) -> icalendar.Event:
    start, end = stop_times(courier, delivery, a.day, tz)
    parcels = f"{delivery.parcels} parcel" + ("s" if delivery.parcels != 1 else "")
    event = icalendar.Event()
    event.add("uid", stop_uid(delivery.id, uid_domain))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"#{a.sequence} {delivery.address.street}, {delivery.address.city} – {parcels}")
    event.add("location", delivery.address.one_line())
    event.add("description", _description(delivery, a))
    event.add("url", map_link(delivery))
    if delivery.location is not None:
        event.add("geo", (delivery.location.lat, delivery.location.lon))
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a stop does not make the courier "busy" to others
    event.add("categories", ["Delivery"])
    return event


def _description(delivery: Delivery, a: Assignment) -> str:
    lines = [f"Stop {a.sequence} on {a.day.isoformat()}", f"Parcels: {delivery.parcels}"]
    if delivery.weight_g:
        lines.append(f"Weight: {delivery.weight_g / 1000:g} kg")
    if delivery.window_start is not None:
        lines.append(f"Customer window: {delivery.window_start:%H:%M}–{delivery.window_end:%H:%M}")
    if delivery.notes:
        lines += ["", delivery.notes]
    return "\n".join(lines)

