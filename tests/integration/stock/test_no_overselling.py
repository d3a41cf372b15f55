"""50 clients at once over real HTTP against one SKU with 10 pieces: exactly 10 win, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import uuid

import requests
from sqlalchemy import func, select

from pos.sales.models import Sale
from pos.stock.models import StockLevel
from tests.integration.stock.conftest import check_stock, make_key
from tests.integration.stock.served import served

SKU = "SKU-000010"


def set_stock(till, quantity):
    response = till.post("/api/v1/stock/counts", json={"lines": [{"sku": SKU, "counted": quantity}]})
    assert response.status_code == 201, response.get_json()


def race(base, key, workers):
    """Run each worker(session, base, key) in its own thread and HTTP connection, all released at once."""
    gate = threading.Barrier(len(workers))
    results = [None] * len(workers)

    def run(index, work):
        with requests.Session() as http:
            gate.wait()
            results[index] = work(http)
    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def reserve_one(base, key):
    def work(http):
        return http.post(f"{base}/api/v1/reservations", timeout=60, json={
            "channel": "webshop", "reference": str(uuid.uuid4()), "ttl_seconds": 600,
            "lines": [{"sku": SKU, "quantity": 1}]},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}).status_code
    return work



def levels_of_sku(app):
    from pos.catalogue.models import Product
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        row = uow.session.execute(select(StockLevel.on_hand, StockLevel.reserved).join(
            Product, Product.id == StockLevel.product_id).where(Product.sku == SKU)).one()
        return row.on_hand, row.reserved


def test_fifty_shoppers_ten_pieces(app, till):
    set_stock(till, 10)
    key = make_key(app)
    with served(app) as base:
        statuses = race(base, key, [reserve_one(base, key) for _ in range(50)])
    assert sorted(set(statuses)) == [201, 409]
    assert statuses.count(201) == 10
    assert levels_of_sku(app) == (10, 10)
    check_stock(app)


def test_store_sales_and_web_reservations_together_never_oversell(app, till):
    set_stock(till, 10)
    key = make_key(app)
    baskets = []
    for _ in range(5):
        basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
        added = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": SKU, "quantity": 1})
        assert added.status_code == 201, added.get_json()
        baskets.append((basket, added.get_json()["total"]))

    def sell(basket, total):
        def work(http):
            return http.post(f"{base}/api/v1/baskets/{basket}/checkout", timeout=60,
                             json={"payments": [{"method": "card", "amount": total}]},
                             headers={"Authorization": f"Bearer {till.token}"}).status_code
        return work
    with served(app) as base:
        workers = [sell(b, t) for b, t in baskets] + [reserve_one(base, key) for _ in range(45)]
        statuses = race(base, key, workers)
    sales, reservations = statuses[:5], statuses[5:]
    # A till never sells a piece promised to the web, and the web never reserves a piece the till sold.
    assert set(sales) <= {201, 409} and set(reservations) <= {201, 409}
    assert sales.count(201) + reservations.count(201) == 10
    on_hand, reserved = levels_of_sku(app)
    assert on_hand == 10 - sales.count(201) and reserved == reservations.count(201) == on_hand
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Sale)) == sales.count(201)
    check_stock(app)
