"""Respecting people: marketing only with consent, never in the customer's quiet hours, and not too often."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import phonenumbers
from babel.core import get_global
from sqlalchemy import func, or_, select

from pos.customers.merges import merged_ids
from sync.journeys import consents
from sync.journeys.models import JourneyOutbox


PRIMARY_ZONES = {"UA": "Europe/Kyiv"}  # Babel also lists Simferopol for Ukraine


def customer_zone(phone: str | None, default: str) -> str:
    """The time zone of the country of the customer's phone number when it has one, else the shop's.

    From CLDR's territory zones (Babel), not phonenumbers' own time-zone data, which its slim build lacks."""
    if phone:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
        except phonenumbers.NumberParseException:
            region = None
        zones = get_global("territory_zones").get(region or "", [])
        if region in PRIMARY_ZONES:
            return PRIMARY_ZONES[region]
        if len(zones) == 1:
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
