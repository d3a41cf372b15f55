"""HQ takes a store's offline redemptions (SQLite and PostgreSQL): the use is always recorded; a customer past
the campaign's limit or a single-use code used elsewhere too becomes a named incident; applied twice, nothing
twice; the office resolves it with the manager's PIN."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pos.coupons import services
from pos.coupons.models import CouponIncident, CouponRedemption
from tests.integration.coupons.coupon_fixtures import campaign
from tests.integration.office.test_office_pages import audit, english, form, sign_in


def offline(campaign_id, code, customer_id=None, discount=150):
    return {"id": str(uuid.uuid4()), "campaign_id": campaign_id, "code": code, "discount": discount,
            "currency": "PLN", "customer_id": str(customer_id) if customer_id else None,
            "reference": str(uuid.uuid4()), "idempotency_key": f"sale:{uuid.uuid4()}",
            "redeemed_at": dt.datetime.now(dt.timezone.utc).isoformat()}


def counts(app):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return (uow.session.scalar(select(func.count()).select_from(CouponRedemption)),
                [(i.kind, i.status) for i in uow.session.scalars(select(CouponIncident).order_by(CouponIncident.kind))])


def take(app, store, payload):
    with app.extensions["pos.db"].unit_of_work() as uow:
        incident = services.take_store_redemption(uow.session, store, payload)
        uow.commit()
        return incident.id if incident else None


def test_offline_redemptions_are_recorded_and_what_broke_a_rule_is_an_incident(app):
    limited, _ = campaign(app, "Once each", percent_bp=1000, shared_code="ONCE", per_customer_limit=1,
                          currency="PLN")
    vouchers, codes = campaign(app, "Vouchers", amount=500, issue=1, store_code="S1", currency="PLN")
    customer = uuid.uuid4()
    first = offline(limited, "ONCE", customer)
    assert take(app, "S1", first) is None
    assert take(app, "S1", first) is None  # pushed again
    assert take(app, "S2", offline(limited, "ONCE", customer)) is not None  # the other store, same customer
    assert take(app, "S1", offline(vouchers, codes[0])) is None
    web = {**offline(vouchers, codes[0])}
    reused = take(app, "S2", web)
    assert reused is not None
    assert counts(app) == (4, [("per-customer-limit-exceeded", "open"), ("single-use-code-reused", "open")])

    client = english(app)
    sign_in(client)
    page = f"/office/coupons/{vouchers}"
    assert "single-use-code-reused" in client.get("/office/coupons").get_data(as_text=True)
    done = form(client, f"/office/coupons/incidents/{reused}/resolve", page, note="customer called", pin="9999")
    assert done.status_code == 302
    assert counts(app)[1] == [("per-customer-limit-exceeded", "open"), ("single-use-code-reused", "resolved")]
    assert len(audit(app, "coupon_incident_resolved")) == 1
