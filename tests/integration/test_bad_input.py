"""Bad input gets a 4xx problem naming the field and the reason, and the database is left as it was."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login
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


# Hostile input: every limit is enforced in one place (pos/limits.py, installed by pos/http.py) before any
# view or database sees the request, so each case below holds on every operation, on SQLite and PostgreSQL.
DEEP = "[" * 100_000 + "]" * 100_000
JSON = {"Content-Type": "application/json"}

HOSTILE = {
    "100,000 levels deep": (lambda path: ('{"sku": ' + DEEP + "}", JSON), 400, "body"),
    "deep inside a field": (lambda path: ('{"sku": "A", "quantity": ' + "[" * 40 + "]" * 40 + "}", JSON), 400,
                            "quantity"),
    "NUL in a string": (lambda path: ('{"sku": "SKU-000020\\u0000"}', JSON), 422, "sku"),
    "NUL in a field name": (lambda path: ('{"sk\\u0000u": "SKU-000020"}', JSON), 422, "sk"),
    "lone surrogate": (lambda path: ('{"sku": "\\ud800"}', JSON), 422, "sku"),
    "integer beyond 64 bits": (lambda path: ('{"sku": "SKU-000020", "quantity": 18446744073709551617}', JSON),
                               422, "quantity"),
    "5000 digits": (lambda path: ('{"sku": "SKU-000020", "quantity": ' + "9" * 5000 + "}", JSON), 400, "body"),
    "1e400": (lambda path: ('{"sku": "SKU-000020", "quantity": 1e400}', JSON), 422, "quantity"),
    "NaN": (lambda path: ('{"sku": "SKU-000020", "quantity": NaN}', JSON), 400, "body"),
    "text/plain": (lambda path: ('{"sku": "SKU-000020"}', {"Content-Type": "text/plain"}), 415, "Content-Type"),
    "form": (lambda path: ("sku=SKU-000020", {"Content-Type": "application/x-www-form-urlencoded"}), 415,
             "Content-Type"),
    "bad UTF-8": (lambda path: (b'{"sku": "\xff\xfe"}', JSON), 400, "body"),
    "empty JSON body": (lambda path: ("", JSON), 400, "body"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_body_is_refused_naming_the_field(app, till, basket_with_line, case):
    make, status, field = HOSTILE[case]
    data, headers = make(None)
    before = snapshot(app)
    response = till.client.post(f"/api/v1/baskets/{basket_with_line}/lines", data=data,
                                headers={"Authorization": f"Bearer {till.token}", **headers})
    problem(response, status, field)
    assert snapshot(app) == before


def test_a_body_over_the_limit_is_413_before_it_is_read(app, till, basket_with_line):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    before = snapshot(app)
    response = till.client.post(f"/api/v1/baskets/{basket_with_line}/lines",
                                data='{"sku": "' + "A" * 20_000 + '"}',
                                headers={"Authorization": f"Bearer {till.token}", **JSON})
    problem(response, 413, "body")
    assert snapshot(app) == before


def test_nul_in_a_customer_name_never_reaches_the_database(app, till):
    from pos.customers.models import Customer
    response = till.post("/api/v1/customers", json={"name": "Jan\u0000Kowalski", "phone": "+48601000002"})
    problem(response, 422, "name")
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 0


@pytest.mark.parametrize("query, field", [
    ("q=%00", "q"),
    ("q=SKU&limit=99999999999999999999999", "limit"),
    ("q=SKU&limit=" + "9" * 5000, "limit"),
])
def test_hostile_query_parameters_are_refused(till, query, field):
    problem(till.get(f"/api/v1/products?{query}"), 422, field)


def test_a_nul_in_a_header_that_is_stored_is_refused(till, basket_with_line):
    response = till.post(f"/api/v1/baskets/{basket_with_line}/checkout",
                         json={"payments": [{"method": "cash", "amount": 10**6}]},
                         headers={"Idempotency-Key": "k\u0000"})
    assert response.status_code == 400 or response.status_code == 422, response.get_json()


def test_times_with_an_offset_and_days_out_of_range_are_refused(client):
    boss = login(client, "boss", "9999")
    for shift_start in ("02:42:55Z", "02:42:55+05:00"):
        body = problem(boss.post("/api/v1/couriers", json={"name": "Ola", "shift_start": shift_start}),
                       422, "shift_start")
        assert "local time" in body["detail"]
    assert boss.post("/api/v1/couriers", json={"name": "Ola", "shift_start": "07:30"}).status_code == 201
    problem(boss.post("/api/v1/dispatch/plan", json={"start": "9999-12-31"}), 422, "start")
    problem(boss.get("/api/v1/dispatch/week?start=0001-01-01"), 422, "start")


def test_undeclared_methods_answer_405_with_allow(client):
    response = client.put("/api/v1/health")
    problem(response, 405, "method")
    assert "GET" in response.headers["Allow"]


def test_every_undeclared_method_answers_405_with_allow(client):
    document = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, operations in document["paths"].items():
        declared = {m.upper() for m in operations if m in ("get", "post", "put", "patch", "delete")}
        url = re.sub(r"{[^}]+}", "0190f1d2-0000-7000-8000-000000000000", path)
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - declared:
            response = client.open(url, method=method, headers={"Authorization": "Bearer x"})
            assert response.status_code == 405, (method, url, response.status_code)
            assert declared <= set(response.headers["Allow"].split(", ")), (method, url, response.headers["Allow"])
            checked += 1
    assert checked > 100


def _operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                url = re.sub(r"{[^}]+}", "0190f1d2-0000-7000-8000-000000000000", path)
                yield method, url, operation


def test_anonymous_callers_get_401_before_their_fields_are_judged(client):
    """A caller with no credentials learns nothing about the fields (no 422 naming them) on any operation
    that needs a credential."""
    secured = 0
    for method, url, operation in _operations(client):
        if not operation.get("security"):
            continue
        secured += 1
        response = client.open(url + "?limit=-1&after=-1&channel=%20", method=method.upper(),
                               json={"unexpected": True})
        assert response.status_code == 401, (method, url, response.get_json())
        assert response.get_json()["invalid_params"][0]["name"] == "Authorization"
    assert secured > 40


def test_every_operation_refuses_deep_and_nul_bodies(client):
    sent = 0
    for method, url, operation in _operations(client):
        if method not in ("post", "put", "patch") or "requestBody" not in operation:
            continue
        sent += 1
        headers = {"Authorization": "Bearer not-checked-before-the-body", **JSON}
        deep = client.open(url, method=method.upper(), data=DEEP, headers=headers)
        assert deep.status_code == 400, (method, url, deep.get_json())
        assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, url)  # as documented
        nul = client.open(url, method=method.upper(), data='{"name": "\\u0000"}', headers=headers)
        assert nul.status_code == 422 and nul.get_json()["invalid_params"][0]["name"] == "name", (method, url)
    assert sent > 20


def test_every_operation_refuses_nul_and_huge_numbers_in_its_parameters(client):
    sent = 0
    for method, url, operation in _operations(client):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            for value, reason in (("%00", "NUL"), ("9" * 30, "64 bits")):
                response = client.open(f"{url}?{name}={value}", method=method.upper(),
                                       headers={"Authorization": "Bearer not-checked-before-the-parameters"})
                assert response.status_code == 422, (method, url, name, response.get_json())
                assert response.get_json()["invalid_params"][0]["name"] == name
                assert reason in response.get_json()["detail"]
                sent += 1
    assert sent > 20
