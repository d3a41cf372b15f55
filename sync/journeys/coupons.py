"""Apology coupons: a code with an amount and validity, issued once per step of a run.

No gift-card or coupon area exists yet; this minimal record is the journeys' own, and a till cannot redeem
it until such an area takes it over."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from pos.customers.services import record_interaction
from pos.ids import new_id
from sync.journeys.models import JourneyCoupon
from sync.journeys.once import insert_once

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread over the phone


def _code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def coupon_json(coupon: JourneyCoupon) -> dict:
    return {"code": coupon.code, "amount": coupon.amount, "currency": coupon.currency,
            "valid_until": coupon.valid_until.date().isoformat()}


def issue_coupon(session, key: str, customer_id, amount: int, currency: str, valid_days: int,
                 now: dt.datetime) -> dict:
    """The coupon for this key: made now, or the one made before (two workers, a retry)."""
    values = {"id": new_id(), "code": _code(), "idempotency_key": key, "customer_id": customer_id,
              "amount": amount, "currency": currency, "valid_until": now + dt.timedelta(days=valid_days),
              "issued_at": now}
    if insert_once(session, JourneyCoupon, values, ["idempotency_key"]):
        coupon = session.get(JourneyCoupon, values["id"])
        # The manager sees it on the customer's timeline.
        record_interaction(session, customer_id, "journeys", "coupon", coupon.code, coupon_json(coupon), at=now)
        return coupon_json(coupon)
    return coupon_json(session.scalars(select(JourneyCoupon).where(JourneyCoupon.idempotency_key == key)).one())
