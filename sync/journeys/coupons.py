"""Apology coupons: a real gift card (pos.giftcards) with an amount and validity, issued once per step of a
run; the journeys keep their own record of it (the customer's data export lists it).  The till, the web shop
and every store take it as a gift card."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pos.customers.services import record_interaction
from pos.giftcards import services as gift_cards
from pos.ids import new_id
from sync.journeys.models import JourneyCoupon
from sync.journeys.once import insert_once


def coupon_json(coupon: JourneyCoupon) -> dict:
    return {"code": coupon.code, "amount": coupon.amount, "currency": coupon.currency,
            "valid_until": coupon.valid_until.date().isoformat()}


def issue_coupon(session, key: str, customer_id, amount: int, currency: str, valid_days: int,
                 now: dt.datetime) -> dict:
    """The coupon for this key: made now, or the one made before (two workers, a retry)."""
    card, _ = gift_cards.issue(session, amount=amount, currency=currency, key=f"journey:{key}",
                               issued_by="journey", now=now, expires_at=now + dt.timedelta(days=valid_days),
                               customer_id=customer_id)
    values = {"id": new_id(), "code": card.code, "idempotency_key": key, "customer_id": customer_id,
              "amount": amount, "currency": currency, "valid_until": card.expires_at, "issued_at": now}
    if insert_once(session, JourneyCoupon, values, ["idempotency_key"]):
        coupon = session.get(JourneyCoupon, values["id"])
        # The manager sees it on the customer's timeline.
        record_interaction(session, customer_id, "journeys", "coupon", coupon.code, coupon_json(coupon), at=now)
        return coupon_json(coupon)
    return coupon_json(session.scalars(select(JourneyCoupon).where(JourneyCoupon.idempotency_key == key)).one())
