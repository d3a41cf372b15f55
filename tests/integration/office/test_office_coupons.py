"""Coupons in the back office (SQLite and PostgreSQL): a campaign made from the form, a batch of codes issued
with the manager's PIN (audited) and downloaded as CSV, their use listed, an incident resolved."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from pos.coupons.models import CouponCampaign
from pos.coupons.rules import check_digit_ok, normalise
from tests.integration.office.test_office_pages import audit, english, form, sign_in
from tests.conftest import login


def test_a_manager_makes_a_campaign_issues_codes_and_sees_them_used(app):
    client = english(app)
    sign_in(client)
    page = client.get("/office/coupons")
    assert page.status_code == 200 and "New campaign" in page.get_data(as_text=True)
    refused = form(client, "/office/coupons", "/office/coupons", name="Spring", percent="10", amount="5",
                   valid_from="2026-01-01", valid_until="2099-01-31", pin="9999")
    assert refused.status_code == 422 and "either a percent or an amount" in refused.get_data(as_text=True)
    made = form(client, "/office/coupons", "/office/coupons", name="Spring", percent="12,5", min_basket="20.00",
                product_groups="dairy, bakery", per_customer_limit="", valid_from="2026-01-01",
                valid_until="2099-01-31", shared_code="", pin="9999")
    assert made.status_code == 302, made.get_data(as_text=True)
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        campaign = uow.session.scalars(select(CouponCampaign)).one()
        assert (campaign.percent_bp, campaign.min_basket, campaign.product_groups) == (1250, 2000, ["bakery", "dairy"])
    assert len(audit(app, "coupon_campaign_created")) == 1
    detail = f"/office/coupons/{campaign.id}"
    wrong_pin = form(client, f"{detail}/batches", detail, size="5", pin="0000")
    assert wrong_pin.status_code == 422
    issued = form(client, f"{detail}/batches", detail, size="5", store_code="", pin="9999")
    assert issued.status_code == 302
    page = client.get(detail).get_data(as_text=True)
    assert "5 codes were issued" in page
    link = page.split('href="/office/coupons/batches/')[1].split('"')[0]
    download = client.get(f"/office/coupons/batches/{link}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 5 and all(check_digit_ok(normalise(row["code"])) for row in rows)
    assert all(len(row["code"]) == 14 and row["code"][4] == "-" for row in rows)  # printed XXXX-XXXX-XXXX

    # one is used at the till: the page lists the use
    till = login(app.test_client())
    till.post("/api/v1/shifts", json={"opening_float": 0})
    with app.extensions["pos.db"].unit_of_work() as uow:
        from sqlalchemy import update
        from pos.catalogue.models import Product
        uow.session.execute(update(Product).where(Product.sku == "SKU-000012").values(product_group="dairy"))
        uow.commit()
    basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000012", "quantity": 5})
    shown = till.put(f"/api/v1/baskets/{basket}/coupon", json={"code": rows[0]["code"]}).get_json()
    assert shown["coupon"]["applies"], shown
    sale = till.post(f"/api/v1/baskets/{basket}/checkout",
                     json={"payments": [{"method": "card", "amount": shown["total"]}]}).get_json()
    page = client.get(detail).get_data(as_text=True)
    assert rows[0]["code"] in page and sale["id"] in page
    again = client.get(f"/office/coupons/batches/{link}").get_data(as_text=True)
    assert any(line.startswith(rows[0]["code"]) and line.split(",")[-1].strip() for line in again.splitlines())

    stopped = form(client, f"{detail}/active", detail, active="0", pin="9999")
    assert stopped.status_code == 302
    basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000012", "quantity": 5})
    assert till.put(f"/api/v1/baskets/{basket}/coupon", json={"code": rows[1]["code"]}).get_json()["reason"] == "inactive"


def test_a_cashier_cannot_reach_the_coupon_pages(app):
    client = english(app)
    sign_in(client, "demo", "1234")
    assert client.get("/office/coupons").status_code == 403
