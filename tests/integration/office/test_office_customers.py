"""Customers in the back office over HTTP (SQLite and PostgreSQL): found by phone, e-mail or card typed any
way, and one page per customer with identities, consents, purchases in the store and on a marketplace,
returns and the timeline; a merged duplicate's page is the survivor's."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from pos.customers.merges import merge
from pos.customers.models import Customer
from pos.customers.services import record_interaction
from tests.conftest import login
from tests.integration.office.test_office_pages import english, sign_in
from tests.integration.test_returns_and_shifts import BOSS

CUSTOMER = {"name": "Zofia Żółkiewska", "phone": "+48 601 234 567", "email": "Zofia@Example.PL",
            "card": "LC-0042-77", "marketing_email": True}


def a_customer_who_bought_everywhere(app) -> dict:
    """Bought at the till (and returned one), ordered on Allegro."""
    client = app.test_client()
    till = login(client)
    till.post("/api/v1/shifts", json={"opening_float": 0})
    created = till.post("/api/v1/customers", json=CUSTOMER)
    assert created.status_code == 201, created.get_json()
    customer = created.get_json()
    basket = till.post("/api/v1/baskets", json={"customer_id": customer["id"]}).get_json()["id"]
    assert till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000012", "quantity": 2}).status_code == 201
    total = till.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    sale = till.post(f"/api/v1/baskets/{basket}/checkout",
                     json={"payments": [{"method": "cash", "amount": total}]}).get_json()
    returned = till.post("/api/v1/returns", json={"sale_id": sale["id"], "approval": BOSS,
                                                  "lines": [{"sale_line_id": sale["lines"][0]["id"], "quantity": 1}]})
    assert returned.status_code == 201, returned.get_json()
    with app.extensions["pos.db"].unit_of_work() as uow:  # as the marketplace order pull records it
        record_interaction(uow.session, uuid.UUID(customer["id"]), "allegro", "order", "AL-55501",
                           {"total": 12345, "currency": "PLN", "status": "paid"})
        uow.commit()
    return {"customer": customer, "sale": sale, "return": returned.get_json()}


def test_a_customer_is_found_by_what_was_typed_in_any_format(app):
    a_customer_who_bought_everywhere(app)
    client = english(app)
    sign_in(client)
    for typed in ("601 234 567", "601-234-567", "+48601234567", "zofia@example.pl", " ZOFIA@example.pl ",
                  "lc 0042 77", "LC-0042-77", "Zofia"):
        page = client.get("/office/customers", query_string={"q": typed}).get_data(as_text=True)
        assert "Zofia Żółkiewska" in page and "1 found" in page, typed
    nobody = client.get("/office/customers", query_string={"q": "602 000 000"}).get_data(as_text=True)
    assert "Zofia" not in nobody and "Nobody matches" in nobody
    assert client.get("/office/customers", query_string={"q": "%"}).status_code == 200


def test_one_page_shows_identities_consents_purchases_returns_and_the_timeline(app):
    made = a_customer_who_bought_everywhere(app)
    client = english(app)
    sign_in(client)
    answer = client.get(f"/office/customers/{made['customer']['id']}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    for shown in ("+48601234567", "zofia@example.pl", "LC004277", "Marketing by e-mail", "Purchases", "Returns",
                  "Timeline", "store S1", "Allegro", "AL-55501", f"receipt {made['sale']['receipt_number']}",
                  "PLN123.45"):
        assert shown in page, shown
    purchases = page.split(">Purchases</h2>")[1].split(">Returns</h2>")[0]
    assert purchases.count("<tr>") == 1 + 2  # header, the till's sale, the Allegro order
    returns = page.split(">Returns</h2>")[1].split(">Timeline</h2>")[0]
    assert returns.count("<tr>") == 1 + 1
    assert made["return"]["id"] not in page  # no internal id where a person reads

    assert client.get(f"/office/customers/{uuid.uuid4()}").status_code == 404


def test_a_merged_duplicates_page_leads_to_the_survivor(app):
    made = a_customer_who_bought_everywhere(app)
    with app.extensions["pos.db"].unit_of_work() as uow:
        survivor = uow.session.get(Customer, uuid.UUID(made["customer"]["id"]))
        duplicate = Customer(name="Z. Żółkiewska", email="zofia.old@example.pl")
        uow.session.add(duplicate)
        uow.session.flush()
        merge(uow.session, survivor, duplicate, "manual")
        duplicate_id = duplicate.id
        uow.commit()
    client = english(app)
    sign_in(client)
    moved = client.get(f"/office/customers/{duplicate_id}")
    assert moved.status_code == 302 and made["customer"]["id"] in moved.headers["Location"]
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Customer.merged_into).where(Customer.id == duplicate_id)) is not None


def test_customers_are_for_managers(app):
    client = english(app)
    sign_in(client, "demo", "1234")
    assert client.get("/office/customers").status_code == 403
