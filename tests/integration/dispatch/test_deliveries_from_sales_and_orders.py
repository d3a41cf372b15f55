"""A delivery is created from a store sale with home delivery and from a web order with local delivery."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pos.dispatch.models import Delivery
from pos.sales.models import Sale
from tests.integration.stock.conftest import make_key
from tests.integration.test_selling import new_basket

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
HOME = {"recipient": "Anna Kowalska", "phone": "+48 601 234 567",
        "address": {"street": "ul. Długa 5", "city": "Warszawa", "postal_code": "00-238"},
        "parcels": 2, "weight_g": 7500, "date": TOMORROW, "window_start": "10:00", "window_end": "14:00",
        "notes": "domofon 12"}


def count(app, model):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_store_sale_with_home_delivery_creates_its_delivery(app, till):
    basket = new_basket(till)
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000030", "quantity": 2})
    response = till.post(f"/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "card", "amount": till.get(f"/api/v1/baskets/{basket}")
                                             .get_json()["total"]}], "home_delivery": HOME})
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    assert sale["delivery_id"]
    assert till.get(f"/api/v1/sales/{sale['id']}").get_json()["delivery_id"] == sale["delivery_id"]
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        delivery = uow.session.get(Delivery, __import__("uuid").UUID(sale["delivery_id"]))
        assert (delivery.source, delivery.source_ref, delivery.status) == ("store_sale", sale["id"], "open")
        assert (delivery.parcels, delivery.postal_code, delivery.street) == (2, "00-238", "ul. Długa 5")


def test_a_bad_delivery_address_refuses_the_whole_checkout(app, till):
    basket = new_basket(till)
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000031", "quantity": 1})
    bad = {**HOME, "address": {**HOME["address"], "postal_code": "ABC"}}
    response = till.post(f"/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "cash", "amount": 10**6}], "home_delivery": bad})
    assert response.status_code == 422, response.get_json()
    assert "postal_code" in response.get_json()["detail"]
    assert count(app, Sale) == 0 and count(app, Delivery) == 0


def test_a_web_order_with_local_delivery_creates_a_delivery(app, client):
    key = make_key(app)
    order = {"order_id": "WEB-1001", "channel": "webshop", "currency": "PLN",
             "customer": {"email": "Anna@Example.com", "phone": "601234567", "name": "Anna"},
             "lines": [{"sku": "SKU-000032", "quantity": 1, "unit_price": 1999}],
             "delivery": {"method": "delivery", "courier": HOME}}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "web-1001"}
    response = client.post("/api/v1/orders", json=order, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["delivery_id"]
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        delivery = uow.session.scalars(select(Delivery)).one()
        assert (delivery.source, delivery.source_ref) == ("web_order", "WEB-1001")
        assert str(delivery.customer_id) == body["customer_id"]
