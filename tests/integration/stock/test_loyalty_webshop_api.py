"""Loyalty through the web-shop sync API: a web order earns (the part paid with points does not), the
balance is read with loyalty:read, points are spent once per Idempotency-Key with loyalty:write."""
from __future__ import annotations

import uuid

from pos.loyalty import services
from tests.integration.stock.conftest import Shop, make_key

SKU = "SKU-000001"


def programme(app):
    with app.extensions["pos.db"].unit_of_work() as uow:
        services.configure(uow.session, {"points_per_unit": 10, "point_value": 1, "rolling_days": 365,
                                         "group_multipliers": {"dairy": 20000}})
        uow.commit()


def order(order_id, email, quantity=2, unit_price=1000, paid_with_points=0):
    return {"order_id": order_id, "channel": "webshop", "currency": "PLN",
            "customer": {"email": email, "name": "Ola"}, "paid_with_points": paid_with_points,
            "lines": [{"sku": SKU, "quantity": quantity, "unit_price": unit_price}],
            "delivery": {"method": "collect", "store": "S1"}}


def test_a_web_order_earns_and_the_points_are_spent_once_per_key(app, client, shop):
    programme(app)
    placed = shop.post("/api/v1/orders", order("WEB-1", "ola@example.pl"))
    assert placed.status_code == 201, placed.get_json()
    assert placed.get_json()["points_earned"] == 2000 * 10 // 100
    account = shop.get("/api/v1/shop/loyalty/account?email=ola@example.pl").get_json()
    assert account["balance"] == 200 and account["history"][0]["channel"] == "webshop"
    key = str(uuid.uuid4())
    spend = {"email": "ola@example.pl", "amount": 150, "currency": "PLN", "order_id": "WEB-2"}
    first = shop.post("/api/v1/shop/loyalty/redemptions", spend, key=key)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["points"] == 150 and first.get_json()["balance"] == 50
    again = shop.post("/api/v1/shop/loyalty/redemptions", spend, key=key)  # a retry: the same answer
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = shop.post("/api/v1/shop/loyalty/redemptions", {**spend, "amount": 10}, key=key)
    assert other.status_code == 422 and other.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"
    short = shop.post("/api/v1/shop/loyalty/redemptions", {**spend, "amount": 51})
    assert short.status_code == 409 and short.get_json()["balance"] == 50
    # the order paid partly with points earns on the rest only
    paid = shop.post("/api/v1/orders", order("WEB-2", "ola@example.pl", 1, 1000, paid_with_points=150))
    assert paid.get_json()["points_earned"] == 850 * 10 // 100
    voided = shop.post(f"/api/v1/shop/loyalty/redemptions/{first.get_json()['id']}/void", {})
    assert voided.status_code == 200
    assert shop.get("/api/v1/shop/loyalty/account?email=ola@example.pl").get_json()["balance"] == 50 + 85 + 150


def test_loyalty_needs_its_scopes_and_names_bad_fields(app, client):
    programme(app)
    orders_only = Shop(client, make_key(app, "orders-only", ["orders:write"]))
    refused = orders_only.get("/api/v1/shop/loyalty/account?email=ola@example.pl")
    assert refused.status_code == 403 and refused.get_json()["scope"] == "loyalty:read"
    reader = Shop(client, make_key(app, "reader", ["loyalty:read"]))
    spend = reader.post("/api/v1/shop/loyalty/redemptions", {"email": "a@b.pl", "amount": 1, "currency": "PLN"})
    assert spend.status_code == 403 and spend.get_json()["scope"] == "loyalty:write"
    writer = Shop(client, make_key(app, "writer", ["loyalty:read", "loyalty:write"]))
    unknown = writer.get("/api/v1/shop/loyalty/account?email=nobody@example.pl")
    assert unknown.status_code == 404 and unknown.get_json()["invalid_params"][0]["name"] == "email"
    bad = writer.post("/api/v1/shop/loyalty/redemptions", {"email": "a@b.pl", "amount": -5, "currency": "PLN"})
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "amount"
    no_key = client.post("/api/v1/shop/loyalty/redemptions", json={"email": "a@b.pl", "amount": 1, "currency": "PLN"},
                         headers={"Authorization": f"Bearer {writer.key}"})
    assert no_key.status_code in (400, 422)
