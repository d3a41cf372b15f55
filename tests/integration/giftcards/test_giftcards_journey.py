"""A journey's apology coupon is a real gift card, issued through pos.giftcards once per step of a run."""
from __future__ import annotations

import datetime as dt

from pos.customers.models import Customer
from sync.journeys.coupons import issue_coupon


def test_the_apology_coupon_is_a_gift_card_the_till_takes(app, till):
    now = dt.datetime.now(dt.timezone.utc)
    with app.extensions["pos.db"].unit_of_work() as uow:
        customer = Customer(name="Ola", phone="+48600100200", origin="test")
        uow.session.add(customer)
        uow.session.flush()
        coupon = issue_coupon(uow.session, "run-1:0", customer.id, 1500, "PLN", 30, now)
        again = issue_coupon(uow.session, "run-1:0", customer.id, 1500, "PLN", 30, now)  # a retried step
        uow.commit()
    assert again["code"] == coupon["code"] and coupon["code"].startswith("GC")
    looked = till.get(f"/api/v1/gift-cards/{coupon['code']}").get_json()
    assert looked["balance"] == 1500 and looked["issued_by"] == "journey"
    basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
    total = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000001"}).get_json()["total"]
    paid = till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [
        {"method": "gift_card", "amount": min(total, 1500), "reference": coupon["code"]}]
        + ([{"method": "cash", "amount": total - 1500}] if total > 1500 else [])})
    assert paid.status_code == 201, paid.get_json()
    assert till.get(f"/api/v1/gift-cards/{coupon['code']}").get_json()["balance"] == 1500 - min(total, 1500)
