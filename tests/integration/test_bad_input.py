"""Bad input gets a 4xx problem naming the field and the reason, and the database is left as it was."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.test_selling import new_basket


def snapshot(app):
    from pos.sales.models import Basket, BasketLine, Sale
    from pos.stock.models import StockMovement
    from pos.feed.models import Change
    from pos.stores.models import Terminal
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        s = uow.session
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (Basket, BasketLine, Sale, StockMovement, Change)} | {
            "receipts": s.scalar(select(func.sum(Terminal.last_receipt_number)))}


@pytest.fixture
def basket_with_line(till):
    basket = new_basket(till)
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000020", "quantity": 1})
    return basket


def problem(response, status, field):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    names = [p["name"] for p in body["invalid_params"]]
    assert any(field in name for name in names), names
    return body


CASES = {
    "malformed json": lambda t, b: (t.client.post(f"/api/v1/baskets/{b}/lines", data="{not json",
                                                  headers={"Authorization": f"Bearer {t.token}",
                                                           "Content-Type": "application/json"}), 400, "body"),
    "unknown field": lambda t, b: (t.post(f"/api/v1/baskets/{b}/lines", json={"sku": "SKU-000020", "qty": 2}),
                                   422, "qty"),
    "negative quantity": lambda t, b: (t.post(f"/api/v1/baskets/{b}/lines", json={"sku": "SKU-000020", "quantity": -2}),
                                       422, "quantity"),
    "absurd quantity": lambda t, b: (t.post(f"/api/v1/baskets/{b}/lines", json={"sku": "SKU-000020", "quantity": 10**6}),
                                     422, "quantity"),
    "unknown code": lambda t, b: (t.post(f"/api/v1/baskets/{b}/lines", json={"code": "5901234123457"}), 404, "code"),
    "unknown sku": lambda t, b: (t.post(f"/api/v1/baskets/{b}/lines", json={"sku": "NOPE"}), 404, "sku"),
    "code and sku": lambda t, b: (t.post(f"/api/v1/baskets/{b}/lines", json={"sku": "SKU-000020", "code": "1"}),
                                  422, "body"),
    "short payment": lambda t, b: (t.post(f"/api/v1/baskets/{b}/checkout", json={"payments": [{"method": "cash", "amount": 1}]}),
                                   422, "payments"),
    "card over total": lambda t, b: (t.post(f"/api/v1/baskets/{b}/checkout",
                                            json={"payments": [{"method": "card", "amount": 10**9}]}),
                                     422, "payments[0].amount"),
    "zero payment": lambda t, b: (t.post(f"/api/v1/baskets/{b}/checkout", json={"payments": [{"method": "cash", "amount": 0}]}),
                                  422, "payments.0.amount"),
    "unknown tender": lambda t, b: (t.post(f"/api/v1/baskets/{b}/checkout", json={"payments": [{"method": "bitcoin", "amount": 5}]}),
                                    422, "payments.0.method"),
    "no payments": lambda t, b: (t.post(f"/api/v1/baskets/{b}/checkout", json={"payments": []}), 422, "payments"),
    "unknown customer": lambda t, b: (t.post(f"/api/v1/baskets/{b}/checkout",
                                             json={"payments": [{"method": "cash", "amount": 10**6}],
                                                   "customer_id": "0190f1d2-0000-7000-8000-000000000000"}),
                                      422, "customer_id"),
    "bad basket id": lambda t, b: (t.post("/api/v1/baskets/not-a-uuid/lines", json={"sku": "SKU-000020"}),
                                   422, "basket_id"),
    "no token": lambda t, b: (t.client.post(f"/api/v1/baskets/{b}/lines", json={"sku": "SKU-000020"}),
                              401, "Authorization"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_whole(app, till, basket_with_line, case):
    before = snapshot(app)
    response, status, field = CASES[case](till, basket_with_line)
    problem(response, status, field)
    assert snapshot(app) == before


def test_checkout_of_an_empty_basket(app, till):
    basket = new_basket(till)
    before = snapshot(app)
    problem(till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "cash", "amount": 100}]}),
            422, "basket_id")
    assert snapshot(app) == before


def test_checkout_of_an_already_closed_basket(app, till, basket_with_line):
    ok = till.post(f"/api/v1/baskets/{basket_with_line}/checkout", json={"payments": [{"method": "cash", "amount": 10**6}]})
    assert ok.status_code == 201
    before = snapshot(app)
    body = problem(till.post(f"/api/v1/baskets/{basket_with_line}/checkout",
                             json={"payments": [{"method": "cash", "amount": 10**6}]}), 409, "basket_id")
    assert body["sale_id"] == ok.get_json()["id"]
    problem(till.post(f"/api/v1/baskets/{basket_with_line}/lines", json={"sku": "SKU-000020"}), 409, "basket_id")
    assert snapshot(app) == before
