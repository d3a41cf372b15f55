"""Respecting people: marketing only with consent, never in the customer's quiet hours, and not too often."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_zones
from sqlalchemy import func, or_, select

from pos.customers.merges import merged_ids
from sync.journeys import consents
from sync.journeys.models import JourneyOutbox


def customer_zone(phone: str | None, default: str) -> str:
    """The time zone of the customer's phone number when it names one, else the shop's."""
    if phone:
        try:
            zones = phone_zones.time_zones_for_number(phonenumbers.parse(phone))
        except phonenumbers.NumberParseException:
            zones = ()
        if len(zones) == 1 and zones[0] != "Etc/Unknown":
            return zones[0]
    return default


def quiet_until(now: dt.datetime, zone: str, start: int, end: int) -> dt.datetime | None:
    """When the quiet hours (start:00 to end:00 local, across midnight if start > end) end, or None outside them."""
    local = now.astimezone(ZoneInfo(zone))
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += dt.timedelta(days=1)
    return ends.astimezone(dt.timezone.utc)


def over_cap(session, row: JourneyOutbox, settings, now: dt.datetime) -> bool:
    since = now - dt.timedelta(days=settings.cap_days)
    count = session.scalar(select(func.count()).select_from(JourneyOutbox).where(
        JourneyOutbox.customer_id.in_(merged_ids(session, row.customer_id)), JourneyOutbox.kind == row.kind,
        JourneyOutbox.purpose == "marketing", JourneyOutbox.id != row.id,
        or_(JourneyOutbox.status == "sending", (JourneyOutbox.status == "sent") & (JourneyOutbox.sent_at >= since))))
    return count >= settings.cap_messages


def judge(session, row: JourneyOutbox, customer, settings, now: dt.datetime):
    """("send", None) | ("defer", until) | ("skip", why) for a message about to go."""
    if row.purpose != "marketing":
        return "send", None
    if not consents.allowed(session, customer.id, row.kind):
        return "skip", f"no marketing consent for {row.kind}"
    until = quiet_until(now, customer_zone(customer.phone, settings.timezone), settings.quiet_start,
                        settings.quiet_end)
    if until is not None:
        return "defer", until
    if over_cap(session, row, settings, now):
        return "skip", f"frequency cap: {settings.cap_messages} per {settings.cap_days} days"
    return "send", None
