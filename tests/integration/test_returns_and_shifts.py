"""Returns against a sale, and a cashier's shift from float to Z report."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import login
from tests.integration.test_selling import new_basket

BOSS = {"login": "boss", "pin": "9999"}


def sell(till, items, payments=None):
    basket = new_basket(till)
    for sku, quantity in items:
        assert till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": quantity}).status_code == 201
    total = till.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    payments = payments(total) if payments else [{"method": "cash", "amount": total}]
    response = till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": payments})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stock_of(app, sku):
    from pos.catalogue.models import Product
    from pos.stock.models import StockLevel
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(StockLevel.on_hand).join(Product, Product.id == StockLevel.product_id)
                                  .where(Product.sku == sku))


def test_partial_return_refunds_card_first_and_puts_stock_back(app, till):
    sale = sell(till, [("SKU-000012", 3), ("SKU-000013", 1)],
                lambda total: [{"method": "card", "amount": total - 500}, {"method": "cash", "amount": 500}])
    line = sale["lines"][0]
    response = till.post("/api/v1/returns", json={"sale_id": sale["id"], "approval": BOSS,
                                                  "lines": [{"sale_line_id": line["id"], "quantity": 2}]})
    assert response.status_code == 201, response.get_json()
    returned = response.get_json()
    assert returned["total"] == (line["amount"] * 2 + 1) // 3 or returned["total"] == round(line["amount"] * 2 / 3)
    assert returned["refunds"][0]["method"] == "card"
    assert stock_of(app, "SKU-000012") == 100 - 3 + 2
    # never more than was sold and not yet returned
    too_many = till.post("/api/v1/returns", json={"sale_id": sale["id"], "approval": BOSS,
                                                  "lines": [{"sale_line_id": line["id"], "quantity": 2}]})
    assert too_many.status_code == 422
    assert too_many.get_json()["invalid_params"][0]["name"] == "lines[0].quantity"
    last = till.post("/api/v1/returns", json={"sale_id": sale["id"], "approval": BOSS,
                                              "lines": [{"sale_line_id": line["id"], "quantity": 1}]}).get_json()
    assert returned["total"] + last["total"] == line["amount"]  # the last return takes exactly what is left
    assert stock_of(app, "SKU-000012") == 100


def test_a_return_needs_a_manager_pin(app, till):
    sale = sell(till, [("SKU-000014", 1)])
    body = {"sale_id": sale["id"], "lines": [{"sale_line_id": sale["lines"][0]["id"], "quantity": 1}]}
    assert till.post("/api/v1/returns", json=body).status_code == 403
    assert till.post("/api/v1/returns", json={**body, "approval": {"login": "boss", "pin": "1111"}}).status_code == 401
    assert stock_of(app, "SKU-000014") == 99
    response = till.post("/api/v1/returns", json={**body, "approval": BOSS}, headers={"Idempotency-Key": "r-1"})
    again = till.post("/api/v1/returns", json={**body, "approval": BOSS}, headers={"Idempotency-Key": "r-1"})
    assert response.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == response.get_json()["id"]
    assert stock_of(app, "SKU-000014") == 100
    from pos.staff.models import AuditEntry
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalars(select(AuditEntry.action)).all() == ["refund"]


def test_five_wrong_pins_lock_the_login(client):
    for _ in range(5):
        assert client.post("/api/v1/auth/login", json={"login": "anna", "pin": "0000"}).status_code == 401
    locked = client.post("/api/v1/auth/login", json={"login": "anna", "pin": "4321"})
    assert locked.status_code == 423
    assert locked.get_json()["invalid_params"][0]["name"] == "pin"
    assert client.post("/api/v1/auth/login", json={"login": "demo", "pin": "1234"}).status_code == 201


def test_pins_are_stored_as_argon2_hashes(app):
    from pos.staff.models import Cashier
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        hashes = uow.session.scalars(select(Cashier.pin_hash)).all()
    assert hashes and all(h.startswith("$argon2") for h in hashes)


def test_shift_cash_x_close_and_z_report(app, till):
    sell(till, [("SKU-000015", 2)], lambda total: [{"method": "cash", "amount": total + 1000}])
    sale = sell(till, [("SKU-000016", 1)], lambda total: [{"method": "card", "amount": total}])
    assert till.post("/api/v1/shifts/current/cash", json={"kind": "cash_in", "amount": 5000, "reason": "coins"}).status_code == 201
    assert till.post("/api/v1/shifts/current/cash", json={"kind": "cash_out", "amount": 3000, "reason": "safe"}).status_code == 201
    x = till.get("/api/v1/shifts/current/x-report").get_json()
    assert x["sales_count"] == 2
    cash_sales = x["tenders"]["cash"]
    assert x["expected_cash"] == 20000 + cash_sales + 5000 - 3000
    assert x["tenders"]["card"] == sale["total"]
    assert sum(v["gross"] for v in x["vat"]) == x["sales_total"]
    assert till.post("/api/v1/day-reports").status_code == 409  # shift still open
    closed = till.post("/api/v1/shifts/current/close", json={"counted_cash": x["expected_cash"] - 100}).get_json()
    assert closed["over_short"] == -100 and closed["status"] == "closed"
    z = till.post("/api/v1/day-reports")
    assert z.status_code == 201
    assert z.get_json()["number"] == 1 and z.get_json()["sales_count"] == 2
    assert till.post("/api/v1/baskets", json={}).status_code == 201
    basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000017", "quantity": 1})
    no_shift = till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "cash", "amount": 99999}]})
    assert no_shift.status_code == 409 and no_shift.get_json()["invalid_params"][0]["name"] == "shift"


def test_void_after_payment_reverses_the_whole_sale_with_a_manager_pin(app, till):
    sale = sell(till, [("SKU-000018", 2), ("SKU-000019", 1)])
    assert till.post(f"/api/v1/sales/{sale['id']}/void", json={}).status_code == 403
    voided = till.post(f"/api/v1/sales/{sale['id']}/void", json={"approval": BOSS, "reason": "customer left"})
    assert voided.status_code == 201, voided.get_json()
    assert voided.get_json()["total"] == sale["total"]
    assert stock_of(app, "SKU-000018") == 100 and stock_of(app, "SKU-000019") == 100
    assert till.post(f"/api/v1/sales/{sale['id']}/void", json={"approval": BOSS}).status_code == 409
    from pos.staff.models import AuditEntry
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalars(select(AuditEntry.action)).all() == ["void"]
