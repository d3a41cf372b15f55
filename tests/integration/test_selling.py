"""The store's selling path through the API, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from pos.catalogue.barcodes import with_check_digit
from pos.catalogue.generator import weighed_label
from tests.conftest import login

def product(client_api, sku):
    response = client_api.get(f"/api/v1/products?q={sku}")
    assert response.status_code == 200
    return response.get_json()["items"][0]


def new_basket(api):
    response = api.post("/api/v1/baskets", json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def scan(api, basket_id, code, **extra):
    return api.post(f"/api/v1/baskets/{basket_id}/lines", json={"code": code, **extra})


def count(app, model):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_health_reports_role_version_and_database(client):
    body = client.get("/api/v1/health").get_json()
    assert body["role"] == "standalone"
    assert body["database"] == "ok"
    assert body["version"]


def test_search_finds_names_without_diacritics_and_by_code(till):
    first = product(till, "SKU-000000")
    word = first["name"].split()[0]
    plain = word.replace("ł", "l").replace("ż", "z").replace("ó", "o").replace("ś", "s").replace("ą", "a")
    names = [p["name"] for p in till.get(f"/api/v1/products?q={plain.lower()}&limit=50").get_json()["items"]]
    assert first["name"] in names
    by_code = till.get(f"/api/v1/products?q={first['barcodes'][0]}").get_json()["items"]
    assert [p["sku"] for p in by_code] == ["SKU-000000"]


def test_lookup_resolves_ean_and_weighed_label(till):
    first = product(till, "SKU-000000")
    found = till.get(f"/api/v1/products/lookup?code={first['barcodes'][0]}").get_json()
    assert found["product"]["sku"] == "SKU-000000" and found["kind"] == "ean13"
    label = weighed_label(plu=1, grams=352)
    weighed = till.get(f"/api/v1/products/lookup?code={label}").get_json()
    assert weighed["kind"] == "weight" and weighed["quantity"] == 352
    assert weighed["product"]["unit"] == "kg" and weighed["product"]["plu"] == 1


def test_bad_check_digit_and_unknown_code_are_refused(till):
    basket = new_basket(till)
    first = product(till, "SKU-000000")
    wrong = first["barcodes"][0][:-1] + str((int(first["barcodes"][0][-1]) + 1) % 10)
    response = scan(till, basket, wrong)
    assert response.status_code == 422
    assert response.get_json()["invalid_params"][0]["name"] == "code"
    assert "check digit" in response.get_json()["detail"]
    response = scan(till, basket, with_check_digit("590000099999"))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert till.get(f"/api/v1/baskets/{basket}").get_json()["lines"] == []


def test_a_full_sale_with_split_tenders(app, till):
    basket = new_basket(till)
    a, b = product(till, "SKU-000000"), product(till, "SKU-000001")
    assert scan(till, basket, a["barcodes"][0]).status_code == 201
    assert scan(till, basket, a["barcodes"][0]).status_code == 201  # same product again: one line, quantity 2
    response = scan(till, basket, weighed_label(plu=1, grams=500))
    assert response.status_code == 201
    response = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": b["sku"], "quantity": 3})
    body = response.get_json()
    assert [line["quantity"] for line in body["lines"]] == [2, 500, 3]
    total = body["total"]
    assert total == sum(line["amount"] for line in body["lines"])
    card = total // 2
    response = till.post(f"/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "card", "amount": card, "reference": "auth-77"},
                                            {"method": "cash", "amount": total - card + 1000}]})
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    assert sale["total"] == total and sale["change"] == 1000 and sale["receipt_number"] == 1
    assert sum(v["gross"] for v in sale["vat"]) == total
    fetched = till.get(f"/api/v1/sales/{sale['id']}").get_json()
    assert fetched == sale
    from pos.stock.services import ledger_mismatches
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert ledger_mismatches(uow.session) == []
        from pos.stock.models import StockLevel
        from pos.catalogue.models import Product
        level = uow.session.scalar(select(StockLevel.on_hand).join(Product, Product.id == StockLevel.product_id)
                                   .where(Product.sku == "SKU-000000"))
        assert level == 98
        from pos.feed.models import Change
        entities = uow.session.scalars(select(Change.entity).where(Change.entity == "sale")).all()
        assert entities == ["sale"]


def test_receipt_numbers_have_no_gaps_across_failures_and_restarts(app, till, tmp_path):
    first = product(till, "SKU-000002")
    numbers = []
    for attempt in range(3):
        basket = new_basket(till)
        scan(till, basket, first["barcodes"][0])
        # a failing checkout (short payment) must not use a number
        assert till.post(f"/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "cash", "amount": 1}]}).status_code == 422
        response = till.post(f"/api/v1/baskets/{basket}/checkout",
                             json={"payments": [{"method": "cash", "amount": 100000}]})
        numbers.append(response.get_json()["receipt_number"])
    from tests.conftest import make_test_app
    restarted = make_test_app(app.config["POS_DATABASE_URL"], tmp_path)
    api = login(restarted.test_client())
    basket = new_basket(api)
    scan(api, basket, first["barcodes"][0])
    response = api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "cash", "amount": 100000}]})
    numbers.append(response.get_json()["receipt_number"])
    restarted.extensions["pos.db"].dispose()
    assert numbers == [1, 2, 3, 4]


def test_idempotency_key_returns_the_first_sale(app, till):
    basket = new_basket(till)
    scan(till, basket, product(till, "SKU-000003")["barcodes"][0])
    payload = {"payments": [{"method": "cash", "amount": 100000}]}
    headers = {"Idempotency-Key": "till-T1-0001"}
    first = till.post(f"/api/v1/baskets/{basket}/checkout", json=payload, headers=headers)
    again = till.post(f"/api/v1/baskets/{basket}/checkout", json=payload, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    other = till.post(f"/api/v1/baskets/{basket}/checkout",
                      json={"payments": [{"method": "cash", "amount": 200000}]}, headers=headers)
    assert other.status_code == 422 and other.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"
    from pos.sales.models import Sale
    assert count(app, Sale) == 1


def test_two_checkouts_of_one_basket_at_once_make_one_sale(app, client):
    api1 = login(client)
    api1.post("/api/v1/shifts", json={"opening_float": 0})
    api2 = login(app.test_client())
    basket = new_basket(api1)
    scan(api1, basket, product(api1, "SKU-000004")["barcodes"][0])
    results = []
    barrier = threading.Barrier(2)

    def pay(api):
        barrier.wait()
        response = api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "cash", "amount": 99999}]})
        results.append(response.status_code)

    threads = [threading.Thread(target=pay, args=(api,)) for api in (api1, api2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 409]
    from pos.sales.models import Sale
    assert count(app, Sale) == 1


def test_discount_above_limit_needs_manager_and_is_audited(app, till):
    basket = new_basket(till)
    body = scan(till, basket, product(till, "SKU-000006")["barcodes"][0]).get_json()
    line = body["lines"][0]["id"]
    small = till.put(f"/api/v1/baskets/{basket}/lines/{line}/discount", json={"percent": 5})
    assert small.status_code == 200 and small.get_json()["lines"][0]["discount"] > 0
    big = till.put(f"/api/v1/baskets/{basket}/lines/{line}/discount", json={"percent": 30})
    assert big.status_code == 403 and big.get_json()["invalid_params"][0]["name"] == "approval"
    wrong = till.put(f"/api/v1/baskets/{basket}/lines/{line}/discount",
                     json={"percent": 30, "approval": {"login": "boss", "pin": "0000"}})
    assert wrong.status_code == 401
    not_manager = till.put(f"/api/v1/baskets/{basket}/lines/{line}/discount",
                           json={"percent": 30, "approval": {"login": "anna", "pin": "4321"}})
    assert not_manager.status_code == 403
    ok = till.put(f"/api/v1/baskets/{basket}/lines/{line}/discount",
                  json={"percent": 30, "approval": {"login": "boss", "pin": "9999"}})
    assert ok.status_code == 200
    gross = ok.get_json()["lines"][0]["gross"]
    assert ok.get_json()["lines"][0]["discount"] == (gross * 30 + 50) // 100
    from pos.staff.models import AuditEntry
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["line_discount"]


def test_basket_discount_is_spread_so_vat_still_adds_up(till):
    basket = new_basket(till)
    for sku in ("SKU-000007", "SKU-000008", "SKU-000009"):
        till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": 3})
    body = till.put(f"/api/v1/baskets/{basket}/discount", json={"amount": 101}).get_json()
    assert body["discount_total"] == 101
    assert sum(line["amount"] for line in body["lines"]) == body["total"] == body["subtotal"] - 101
    assert sum(v["gross"] for v in body["vat"]) == body["total"]


def test_quantity_change_remove_park_and_resume(till):
    basket = new_basket(till)
    body = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000010", "quantity": 1}).get_json()
    line = body["lines"][0]["id"]
    body = till.patch(f"/api/v1/baskets/{basket}/lines/{line}", json={"quantity": 4}).get_json()
    assert body["lines"][0]["quantity"] == 4
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000011", "quantity": 1})
    body = till.delete(f"/api/v1/baskets/{basket}/lines/{line}").get_json()
    assert [l["sku"] for l in body["lines"]] == ["SKU-000011"]
    assert till.post(f"/api/v1/baskets/{basket}/park").get_json()["status"] == "parked"
    parked = till.get("/api/v1/baskets/parked").get_json()["items"]
    assert [b["id"] for b in parked] == [basket]
    assert scan(till, basket, "5900000000001").status_code in (409, 422)
    assert till.post(f"/api/v1/baskets/{basket}/resume").get_json()["status"] == "open"


def test_weighed_product_by_sku_needs_grams(till):
    basket = new_basket(till)
    response = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000005"})
    assert response.status_code == 422 and response.get_json()["invalid_params"][0]["name"] == "quantity"
    ok = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000005", "quantity": 1250})
    line = ok.get_json()["lines"][0]
    assert line["unit"] == "kg" and line["amount"] == (line["unit_price"] * 1250 + 500) // 1000
