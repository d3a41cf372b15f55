"""The loyalty programme in the back office: a manager sets the rules confirmed with their PIN, the change
is audited, bad rules are refused naming the field; the customer's page shows the balance and card link."""
from __future__ import annotations

from pos.loyalty import services
from tests.integration.office.test_office_pages import audit, english, form, sign_in


def test_a_manager_sets_the_programme_with_the_pin_and_it_is_audited(app):
    client = english(app)
    sign_in(client)
    page = client.get("/office/loyalty")
    assert page.status_code == 200 and "No programme yet" in page.get_data(as_text=True)
    fields = {"name": "Karta", "active": "on", "points_per_unit": "2", "point_value": "1", "rolling_days": "365",
              "groups": "dairy:20000", "tiers": "Silver:500:12000\nGold:2000:15000"}
    wrong = form(client, "/office/loyalty", "/office/loyalty", **fields, pin="1111")
    assert wrong.status_code == 422 and audit(app, "loyalty_programme") == []
    bad = form(client, "/office/loyalty", "/office/loyalty", **{**fields, "tiers": "Gold:2000:15000\nSilver:500:12000"},
               pin="9999")
    assert bad.status_code == 422 and "tiers[1].threshold" in bad.get_data(as_text=True)
    saved = form(client, "/office/loyalty", "/office/loyalty", **fields, pin="9999")
    assert saved.status_code == 302
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        rules = services.programme_json(services.programme(uow.session))
    assert rules["points_per_unit"] == 2 and rules["group_multipliers"] == {"dairy": 20000}
    assert [t["name"] for t in rules["tiers"]] == ["Silver", "Gold"]
    [entry] = audit(app, "loyalty_programme")
    assert entry.details["via"] == "office" and entry.details["changed"]["points_per_unit"] == [None, 2]
    shown = client.get("/office/loyalty").get_data(as_text=True)
    assert "Silver:500:12000" in shown


def test_the_customer_page_shows_points_and_the_card_link(app):
    from pos.customers.models import Customer
    with app.extensions["pos.db"].unit_of_work() as uow:
        services.configure(uow.session, {"points_per_unit": 1, "point_value": 1, "rolling_days": 365})
        customer = Customer(name="Ewa", card="LC1")
        uow.session.add(customer)
        uow.session.flush()
        account = services.account_for(uow.session, customer.id, create=True)
        services._post(uow.session, account, "gift", "earn", 42, channel="hq", reference="welcome")
        uow.commit()
        customer_id = customer.id
    client = english(app)
    sign_in(client)
    html = client.get(f"/office/customers/{customer_id}").get_data(as_text=True)
    assert 'id="loyalty-balance">42<' in html and "/loyalty/card/" in html and "loyalty points" in html
