"""Loyalty on a standalone shop, on SQLite and PostgreSQL: the programme, earning at the till (once per
sale), tiers, returns taking points back in proportion, points as a tender, the timeline and the card page."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from pos.loyalty import services
from pos.loyalty.models import LoyaltyEntry
from tests.conftest import login
from tests.integration.test_selling import new_basket

BOSS = {"login": "boss", "pin": "9999"}
RULES = {"name": "Karta Klienta", "points_per_unit": 1, "point_value": 1, "rolling_days": 365,
         "group_multipliers": {"dairy": 20000}, "tiers": [{"name": "Silver", "threshold": 100, "multiplier_bp": 15000}]}


def set_programme(client, rules=RULES):
    boss = login(client, "boss", "9999", "T2")
    response = boss.put("/api/v1/loyalty/programme", json=rules)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["programme"]


def customer(till, card="LC-0001-0001"):
    response = till.post("/api/v1/customers", json={"name": "Ewa Kowalska", "card": card,
                                                    "email": f"{uuid.uuid4().hex[:8]}@example.com"})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def priced_basket(till, items):
    basket = new_basket(till)
    for sku, quantity in items:
        assert till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": quantity}).status_code == 201
    return basket, till.get(f"/api/v1/baskets/{basket}").get_json()


def checkout(till, basket, payments, customer_id, key=None):
    return till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": payments, "customer_id": customer_id},
                     headers={"Idempotency-Key": key or str(uuid.uuid4())})


def sell(till, items, customer_id):
    basket, priced = priced_basket(till, items)
    response = checkout(till, basket, [{"method": "card", "amount": priced["total"]}], customer_id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def account(app, customer_id):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return services.summary(uow.session, uuid.UUID(customer_id))


def group(app, sku, name):
    from pos.catalogue.models import Product
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Product).where(Product.sku == sku).values(product_group=name))
        uow.commit()


def test_the_programme_is_set_by_a_manager_with_an_audit_entry_and_bad_rules_name_the_field(app, client, till):
    from pos.staff.models import AuditEntry
    assert till.put("/api/v1/loyalty/programme", json=RULES).status_code == 403  # a cashier may not
    set_programme(client)
    assert till.get("/api/v1/loyalty/programme").get_json()["programme"]["group_multipliers"] == {"dairy": 20000}
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "loyalty_programme")).one()
        assert entry.details["changed"]["points_per_unit"] == [None, 1]
    boss = login(client, "boss", "9999", "T2")
    bad = boss.put("/api/v1/loyalty/programme", json={**RULES, "tiers": [
        {"name": "Gold", "threshold": 500}, {"name": "Silver", "threshold": 100}]})
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "tiers[1].threshold"
    zero = boss.put("/api/v1/loyalty/programme", json={**RULES, "point_value": 0})
    assert zero.status_code == 422 and zero.get_json()["invalid_params"][0]["name"] == "point_value"


def test_no_programme_no_points(app, till):
    person = customer(till)
    sell(till, [("SKU-000001", 1)], person["id"])
    assert account(app, person["id"])["balance"] == 0


def test_a_sale_earns_per_currency_unit_with_group_multipliers_once(app, client, till):
    set_programme(client)
    group(app, "SKU-000002", "dairy")
    person = customer(till)
    sale = sell(till, [("SKU-000001", 2), ("SKU-000002", 1)], person["id"])
    plain, dairy = sale["lines"][0]["amount"], sale["lines"][1]["amount"]
    expected = (plain * 10000 + dairy * 20000) * 1 // (100 * 10000)
    assert account(app, person["id"])["balance"] == expected
    # the same sale applied again (a replay) never earns twice
    with app.extensions["pos.db"].unit_of_work() as uow:
        services.earn_for_sale(uow.session, uuid.UUID(sale["id"]), uuid.UUID(person["id"]), [(uuid.uuid4(), 10**6)],
                               "PLN", "store:S1", [])
        uow.commit()
    found = account(app, person["id"])
    assert found["balance"] == expected and [e["kind"] for e in found["history"]] == ["earn"]
    timeline = till.get(f"/api/v1/customers/{person['id']}").get_json()["timeline"]
    assert any(e["kind"] == "loyalty" and e["details"]["points"] == expected for e in timeline)


def test_a_tier_reached_over_the_rolling_period_multiplies_what_is_earned(app, client, till):
    set_programme(client, {**RULES, "points_per_unit": 100})  # 1 point per minor unit: tiers come quickly
    person = customer(till)
    first = sell(till, [("SKU-000003", 1)], person["id"])
    assert first["total"] >= 100
    second = sell(till, [("SKU-000003", 1)], person["id"])
    found = account(app, person["id"])
    assert found["tier"] == "Silver"
    assert found["balance"] == first["total"] + second["total"] * 15000 // 10000
    # points earned before the rolling period do not count towards the tier
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(LoyaltyEntry).values(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)))
        uow.commit()
    assert account(app, person["id"])["tier"] is None


def test_a_return_takes_back_points_in_proportion_to_the_value_returned(app, client, till):
    set_programme(client, {**RULES, "points_per_unit": 100})
    person = customer(till)
    sale = sell(till, [("SKU-000004", 4)], person["id"])
    earned = account(app, person["id"])["balance"]
    line = sale["lines"][0]
    returned = till.post("/api/v1/returns", json={"sale_id": sale["id"], "approval": BOSS,
                                                 "lines": [{"sale_line_id": line["id"], "quantity": 1}]})
    assert returned.status_code == 201, returned.get_json()
    value = returned.get_json()["total"]
    left = account(app, person["id"])
    assert left["balance"] == earned - round(earned * value / sale["total"])
    assert left["history"][0]["kind"] == "reverse"


def test_points_pay_at_the_till_once_and_a_short_balance_is_refused_whole(app, client, till):
    set_programme(client, {**RULES, "points_per_unit": 100, "point_value": 2})
    person = customer(till)
    sell(till, [("SKU-000005", 3)], person["id"])
    balance = account(app, person["id"])["balance"]
    basket, priced = priced_basket(till, [("SKU-000006", 1)])
    pay_points = min(priced["total"], balance * 2) // 2 * 2
    payments = [{"method": "points", "amount": pay_points}]
    if priced["total"] > pay_points:
        payments.append({"method": "card", "amount": priced["total"] - pay_points})
    key = str(uuid.uuid4())
    response = checkout(till, basket, payments, person["id"], key)
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    points = [p for p in sale["payments"] if p["method"] == "points"][0]
    assert points["amount"] == pay_points and points["reference"]
    after = account(app, person["id"])
    spent = pay_points // 2
    earned_now = (priced["total"] - pay_points) * 100 // 100  # the part paid with points earns nothing
    assert after["balance"] == balance - spent + earned_now
    # the same Idempotency-Key replays the sale and spends nothing more
    again = checkout(till, basket, payments, person["id"], key)
    assert again.status_code == 200 and again.get_json()["id"] == sale["id"]
    assert account(app, person["id"])["balance"] == after["balance"]
    # more than the balance: refused whole, no sale, nothing spent
    basket, priced = priced_basket(till, [("SKU-000007", 1)])
    too_much = (after["balance"] + 1) * 2
    short = checkout(till, basket, [{"method": "points", "amount": too_much}, {"method": "cash", "amount": 10**6}],
                     person["id"])
    assert short.status_code in (409, 422), short.get_json()
    assert account(app, person["id"])["balance"] == after["balance"]


def test_points_spent_for_a_checkout_that_fails_are_given_back(app, client, till):
    set_programme(client, {**RULES, "points_per_unit": 100})
    person = customer(till)
    sell(till, [("SKU-000008", 2)], person["id"])
    balance = account(app, person["id"])["balance"]
    basket, priced = priced_basket(till, [("SKU-000009", 1)])
    # card over the total: the checkout is refused after the points were spent
    refused = checkout(till, basket, [{"method": "points", "amount": 1},
                                      {"method": "card", "amount": priced["total"] + 5}], person["id"])
    assert refused.status_code == 422, refused.get_json()
    found = account(app, person["id"])
    assert found["balance"] == balance
    assert [e["kind"] for e in found["history"][:2]] == ["void", "redeem"]


def test_points_need_a_customer_and_an_idempotency_key(app, client, till):
    set_programme(client)
    basket, priced = priced_basket(till, [("SKU-000010", 1)])
    no_customer = till.post(f"/api/v1/baskets/{basket}/checkout",
                            json={"payments": [{"method": "points", "amount": priced["total"]}]},
                            headers={"Idempotency-Key": "k1"})
    assert no_customer.status_code == 422 and no_customer.get_json()["invalid_params"][0]["name"] == "customer_id"
    person = customer(till)
    no_key = till.post(f"/api/v1/baskets/{basket}/checkout",
                       json={"payments": [{"method": "points", "amount": priced["total"]}], "customer_id": person["id"]})
    assert no_key.status_code == 400 and no_key.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"


def test_the_balance_and_the_card_page_by_a_signed_link(app, client, till):
    set_programme(client, {**RULES, "points_per_unit": 100})
    person = customer(till, card="LC 7777 0001")
    sell(till, [("SKU-000011", 1)], person["id"])
    answer = till.get(f"/api/v1/loyalty/accounts/{person['id']}").get_json()
    assert answer["card"] == "LC77770001" and answer["balance"] > 0
    page = client.get(answer["card_url"].replace("http://localhost", ""))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "LC77770001" in html and "<svg" in html and str(answer["balance"]) in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    forged = answer["card_url"].rsplit(".", 1)[0] + ".forged"
    assert client.get(forged.replace("http://localhost", "")).status_code == 404


def test_points_of_a_merged_duplicate_count_for_the_survivor_and_can_be_spent(app, client, till):
    from pos.customers.merges import merge
    from pos.customers.models import Customer
    set_programme(client)
    with app.extensions["pos.db"].unit_of_work() as uow:
        survivor, duplicate = Customer(name="Jan"), Customer(name="Jan K.")
        uow.session.add_all([survivor, duplicate])
        uow.session.flush()
        for person, points in ((survivor, 30), (duplicate, 50)):
            services._post(uow.session, services.account_for(uow.session, person.id, create=True),
                           f"seed:{person.id}", "earn", points)
        merge(uow.session, survivor, duplicate, "phone")
        uow.commit()
        ids = survivor.id, duplicate.id
    assert account(app, str(ids[1]))["balance"] == 80  # the old id finds the survivor's points
    with app.extensions["pos.db"].unit_of_work() as uow:
        services.redeem(uow.session, ids[0], 70, "PLN", "spend-merged", "store:S1")
        uow.commit()
    assert account(app, str(ids[0]))["balance"] == 10
