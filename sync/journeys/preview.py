"""Who would enter a journey: its trigger and conditions tried on the timeline's recent events, so a manager
sees the reach of a definition before saving it (nothing is started or sent)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from pos.customers.merges import resolve
from pos.customers.models import CustomerEvent
from sync.journeys.engine import enters, event_json

LOOKED_AT = 20_000  # the newest events of the trigger's kind; a preview, not a report


@dataclass
class Preview:
    customers: int = 0
    events: int = 0  # events of the trigger's kind looked at
    sample: list[tuple[str, str]] = field(default_factory=list)  # (customer id, name), a few


def who_would_enter(session, definition: dict, now: dt.datetime, sample_size: int = 10) -> Preview:
    since = now - dt.timedelta(days=definition["max_trigger_age_days"])
    events = session.scalars(select(CustomerEvent).where(CustomerEvent.kind == definition["trigger"]["kind"],
                                                         CustomerEvent.at >= since)
                             .order_by(CustomerEvent.at.desc()).limit(LOOKED_AT))
    preview, seen = Preview(), set()
    for event in events:
        preview.events += 1
        at = event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.timezone.utc)
        customer = resolve(session, event.customer_id)
        if customer is None or customer.erased_at is not None or customer.id in seen:
            continue
        if enters(definition, customer, event_json(event), at, now):
            seen.add(customer.id)
            if len(preview.sample) < sample_size:
                preview.sample.append((str(customer.id), customer.name or ""))
    preview.customers = len(seen)
    return preview
