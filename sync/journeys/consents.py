"""Marketing consent per channel, as a ledger of grants and withdrawals with when and how.

A marketing message goes only if the newest entry for its channel is a grant; transactional messages
(a delivery text, a survey after a return, an apology) need no marketing consent."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pos.customers.merges import merged_ids
from pos.db import utcnow
from pos.ids import new_id
from sync.journeys.models import JourneyConsent

CHANNELS = {"email": "marketing_email", "sms": "marketing_sms"}


def latest(session, customer_id, channel: str) -> JourneyConsent | None:
    return session.scalars(select(JourneyConsent).where(
        JourneyConsent.customer_id.in_(merged_ids(session, customer_id)), JourneyConsent.channel == channel)
        .order_by(JourneyConsent.at.desc(), JourneyConsent.id.desc())).first()


def record(session, customer_id, channel: str, granted: bool, how: str, at: dt.datetime | None = None) -> bool:
    """Add an entry if it changes the answer; True when it did."""
    newest = latest(session, customer_id, channel)
    if newest is not None and newest.granted == granted:
        return False
    session.add(JourneyConsent(id=new_id(), customer_id=customer_id, channel=channel, granted=granted,
                               at=at or utcnow(), how=how[:100]))
    session.flush()
    return True


def allowed(session, customer_id, channel: str) -> bool:
    newest = latest(session, customer_id, channel)
    return newest is not None and newest.granted


def note_profile_consents(session, customer, event) -> None:
    """A profile made or edited (at a till, by HQ) carries its consent flags: the ledger notes them."""
    details = event.details or {}
    fields = details.get("fields") or []
    for channel, flag in CHANNELS.items():
        if details.get("action") == "created" or flag in fields:
            record(session, customer.id, channel, bool(getattr(customer, flag)), f"profile at {event.channel}",
                   at=event.at)
