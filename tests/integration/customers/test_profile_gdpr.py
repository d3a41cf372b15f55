"""The customer profile at the till: consents, the timeline, GDPR export and erasure (sales kept for the books)."""
from __future__ import annotations

from sqlalchemy import select

from pos.sales.models import Sale
from tests.conftest import login
from tests.integration.test_selling import new_basket

BOSS = {"login": "boss", "pin": "9999"}


def buy(till, customer_id: str) -> dict:
    basket = new_basket(till)
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000040", "quantity": 1})
    response = till.post(f"/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "cash", "amount": 10**6}], "customer_id": customer_id})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_profile_consents_export_and_erasure(app, client, till):
    created = till.post("/api/v1/customers", json={"name": "Jan Nowak", "phone": "601 234 567",
                                                   "email": " Jan.Nowak@Example.COM "})
    assert created.status_code == 201, created.get_json()
    customer = created.get_json()
    customer_id = customer["id"]
    assert customer["phone"] == "+48601234567" and customer["email"] == "jan.nowak@example.com"
    found = till.get("/api/v1/customers?phone=%2B48%20601%20234%20567").get_json()
    assert customer_id in str(found)

    edited = till.patch(f"/api/v1/customers/{customer_id}", json={"marketing_email": True, "marketing_sms": False})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["marketing_email"] is True
    sale = buy(till, customer_id)
    profile = till.get(f"/api/v1/customers/{customer_id}").get_json()
    assert ("sale", sale["id"]) in [(e["kind"], e["reference"]) for e in profile["timeline"]]
    assert profile["timeline"][0]["kind"] == "sale"  # newest first

    assert till.get(f"/api/v1/customers/{customer_id}/export").status_code == 403  # managers only
    manager = login(client, "boss", "9999", "T2")
    export = manager.get(f"/api/v1/customers/{customer_id}/export")
    assert export.status_code == 200, export.get_json()
    assert export.get_json()["sales"][0]["id"] == sale["id"]
    assert export.get_json()["customer"]["email"] == "jan.nowak@example.com"

    refused = till.post(f"/api/v1/customers/{customer_id}/erase", json={"approval": {"login": "boss", "pin": "0"},
                                                                        "reason": "GDPR request"})
    assert refused.status_code == 401
    erased = till.post(f"/api/v1/customers/{customer_id}/erase", json={"approval": BOSS, "reason": "GDPR request"})
    assert erased.status_code == 200, erased.get_json()
    after = till.get(f"/api/v1/customers/{customer_id}").get_json()["customer"]
    assert after["erased"] and not after["email"] and not after["phone"] and not after["name"]
    assert till.patch(f"/api/v1/customers/{customer_id}", json={"name": "X"}).status_code == 410
    assert "601234567" not in str(till.get("/api/v1/customers?phone=601234567").get_json())
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        kept = uow.session.get(Sale, __import__("uuid").UUID(sale["id"]))
        assert kept is not None and kept.total == sale["total"]  # the books keep the sale
        from pos.customers.models import Customer, CustomerEvent
        row = uow.session.get(Customer, __import__("uuid").UUID(customer_id))
        assert (row.name, row.phone, row.email, row.card) in (("", None, None, None), (None, None, None, None))
        details = uow.session.scalars(select(CustomerEvent.details)).all()
        assert all("jan" not in str(d).lower() for d in details)
        from pos.staff.models import AuditEntry
        assert "customer_erase" in uow.session.scalars(select(AuditEntry.action)).all()
