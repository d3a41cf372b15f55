"""The web shop checks a code against its basket and redeems it with an Idempotency-Key (sync API key)."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.coupons.coupon_fixtures import campaign, price_of, set_group
from sync.webshop.keys import add_client

DAIRY, OTHER = "SKU-000012", "SKU-000013"


def key_for(app, scopes) -> dict:
    with app.extensions["pos.db"].unit_of_work() as uow:
        _, key = add_client(uow.session, f"shop-{uuid.uuid4().hex[:6]}", scopes)
        uow.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def shop(app):
    return key_for(app, ["coupons:write"])


def basket_body(app, code, **extra):
    currency = app.extensions["pos.settings"].country.currency
    return {"code": code, "currency": currency, "reference": "order-1001",
            "lines": [{"sku": DAIRY, "amount": price_of(app, DAIRY) * 2}, {"sku": OTHER, "amount": 999}], **extra}


def test_the_web_shop_validates_then_redeems_a_code_once_per_key(app, client, shop):
    set_group(app, "dairy", DAIRY)
    _, codes = campaign(app, percent_bp=1000, product_groups=["dairy"], issue=1)
    body = basket_body(app, codes[0])
    checked = client.post("/api/v1/coupons/validate", json={k: v for k, v in body.items() if k != "reference"},
                          headers=shop)
    assert checked.status_code == 200, checked.get_json()
    expected = (price_of(app, DAIRY) * 2 * 1000 + 5000) // 10000
    assert checked.get_json()["line_discounts"] == [expected, 0] and checked.get_json()["applies"]
    no_key = client.post("/api/v1/coupons/redeem", json=body, headers=shop)
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.get_json()["invalid_params"][0]["name"]
    first = client.post("/api/v1/coupons/redeem", json=body, headers={**shop, "Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["discount"] == expected and first.get_json()["channel"] == "web"
    replay = client.post("/api/v1/coupons/redeem", json=body, headers={**shop, "Idempotency-Key": "k-1"})
    assert replay.status_code == 201 and replay.get_json() == first.get_json()
    other_body = client.post("/api/v1/coupons/redeem", json={**body, "reference": "order-1002"},
                             headers={**shop, "Idempotency-Key": "k-1"})
    assert other_body.status_code == 422 and other_body.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"
    second = client.post("/api/v1/coupons/redeem", json={**body, "reference": "order-1002"},
                         headers={**shop, "Idempotency-Key": "k-2"})
    assert second.status_code == 409 and second.get_json()["reason"] == "already-redeemed"
    assert client.post("/api/v1/coupons/validate", json={k: v for k, v in body.items() if k != "reference"},
                       headers=shop).get_json()["reason"] == "already-redeemed"


def test_bad_input_is_a_problem_naming_the_field(app, client, shop):
    campaign(app, percent_bp=1000, shared_code="WEB10")
    currency = app.extensions["pos.settings"].country.currency
    unknown_sku = client.post("/api/v1/coupons/validate", json={
        "code": "WEB10", "currency": currency, "lines": [{"sku": "NOPE", "amount": 100}]}, headers=shop)
    assert unknown_sku.status_code == 422 and unknown_sku.get_json()["invalid_params"][0]["name"] == "lines[0].sku"
    negative = client.post("/api/v1/coupons/validate", json={
        "code": "WEB10", "currency": currency, "lines": [{"sku": DAIRY, "amount": -1}]}, headers=shop)
    assert negative.status_code == 422
    below = client.post("/api/v1/coupons/redeem", json={
        "code": "WEB10", "currency": currency, "reference": "o-1", "lines": []},
        headers={**shop, "Idempotency-Key": "k-9"})
    assert below.status_code == 422 and below.get_json()["reason"] == "no-eligible-goods"
    wrong_scope = client.post("/api/v1/coupons/validate", json={"code": "WEB10", "currency": currency, "lines": []},
                              headers=key_for(app, ["orders:write"]))
    assert wrong_scope.status_code == 403
