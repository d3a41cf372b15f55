"""A coupon at the till: scanned onto a basket, shown per line, redeemed with the sale (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pos.coupons.models import CouponRedemption
from pos.coupons.rules import printable
from tests.integration.coupons.coupon_fixtures import NOW, campaign, price_of, set_group
from tests.integration.test_selling import new_basket

BOSS = {"login": "boss", "pin": "9999"}
DAIRY, OTHER = "SKU-000012", "SKU-000013"


def add(till, basket, sku, quantity=1):
    response = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": quantity})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def apply(till, basket, code):
    return till.put(f"/api/v1/baskets/{basket}/coupon", json={"code": code})


def pay(till, basket, **extra):
    total = till.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    return till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "cash", "amount": total}],
                                                                  **extra})


def redemptions(app) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(CouponRedemption))


def assert_adds_up(basket):
    assert sum(line["gross"] for line in basket["lines"]) == basket["subtotal"]
    assert sum(line["discount"] for line in basket["lines"]) == basket["discount_total"]
    assert sum(line["amount"] for line in basket["lines"]) == basket["total"]
    assert sum(row["gross"] for row in basket["vat"]) == basket["total"]


def test_a_single_use_code_takes_its_percent_off_its_group_and_is_used_once(app, till):
    set_group(app, "dairy", DAIRY)
    _, codes = campaign(app, percent_bp=1500, product_groups=["dairy"], issue=3)
    basket = new_basket(till)
    add(till, basket, DAIRY, 3)
    add(till, basket, OTHER, 1)
    typed = printable(codes[0]).lower().replace("-", " ")  # typed by hand, spaced and in lower case
    response = apply(till, basket, typed)
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    dairy, other = shown["lines"]
    expected = (price_of(app, DAIRY) * 3 * 1500 + 5000) // 10000
    assert dairy["coupon_discount"] == dairy["discount"] == expected
    assert other["coupon_discount"] == other["discount"] == 0
    assert shown["coupon"]["applies"] and shown["coupon"]["discount"] == expected
    assert_adds_up(shown)
    sale = pay(till, basket)
    assert sale.status_code == 201, sale.get_json()
    sold = sale.get_json()
    assert sold["lines"][0]["discount"] == expected and sold["discount_total"] == expected
    assert sold["coupon"] == {"code": printable(codes[0]), "discount": expected}
    assert redemptions(app) == 1
    again = new_basket(till)
    add(till, again, DAIRY)
    refused = apply(till, again, codes[0])
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == "already-redeemed"
    assert refused.get_json()["invalid_params"][0]["name"] == "code"
    assert apply(till, again, codes[1]).status_code == 200  # another code of the batch is good


def test_a_fixed_amount_is_split_over_its_lines_to_the_minor_unit(app, till):
    set_group(app, "bakery", DAIRY, OTHER)
    campaign(app, amount=1001, shared_code="BREAD10", product_groups=["bakery"])
    basket = new_basket(till)
    add(till, basket, DAIRY, 2)
    add(till, basket, OTHER, 3)
    add(till, basket, "SKU-000014", 1)
    shown = apply(till, basket, "bread10").get_json()
    assert [line["coupon_discount"] > 0 for line in shown["lines"]] == [True, True, False]
    assert sum(line["coupon_discount"] for line in shown["lines"]) == 1001
    assert_adds_up(shown)
    # a basket discount comes on top, after the coupon, and everything still adds up
    assert till.put(f"/api/v1/baskets/{basket}/discount", json={"percent": 5}).status_code == 200
    assert_adds_up(till.get(f"/api/v1/baskets/{basket}").get_json())
    assert pay(till, basket).status_code == 201


def test_below_the_minimum_basket_the_coupon_takes_nothing_and_is_not_used(app, till):
    price = price_of(app, DAIRY)
    campaign(app, percent_bp=1000, min_basket=price * 2, shared_code="MIN2")
    basket = new_basket(till)
    add(till, basket, DAIRY, 1)
    shown = apply(till, basket, "MIN2").get_json()
    assert shown["coupon"]["applies"] is False and shown["coupon"]["reason"] == "below-minimum"
    assert shown["discount_total"] == 0
    add(till, basket, DAIRY, 1)  # the second piece reaches the minimum: the coupon now applies
    shown = till.get(f"/api/v1/baskets/{basket}").get_json()
    assert shown["coupon"]["applies"] and shown["discount_total"] == (price * 2 * 1000 + 5000) // 10000
    till.patch(f"/api/v1/baskets/{basket}/lines/{shown['lines'][0]['id']}", json={"quantity": 1})
    assert pay(till, basket).status_code == 201
    assert redemptions(app) == 0


def test_a_per_customer_limit_needs_the_customer_and_holds(app, till):
    campaign(app, percent_bp=500, shared_code="ONCE", per_customer_limit=1)
    customer = till.post("/api/v1/customers", json={"name": "Jan Nowak", "phone": "601 234 567"}).get_json()
    basket = new_basket(till)
    add(till, basket, DAIRY)
    nobody = apply(till, basket, "ONCE")
    assert nobody.status_code == 422 and nobody.get_json()["reason"] == "customer-required"
    first = till.post("/api/v1/baskets", json={"customer_id": customer["id"]}).get_json()["id"]
    add(till, first, DAIRY)
    assert apply(till, first, "ONCE").status_code == 200
    assert pay(till, first).status_code == 201
    second = till.post("/api/v1/baskets", json={"customer_id": customer["id"]}).get_json()["id"]
    add(till, second, DAIRY)
    over = apply(till, second, "ONCE")
    assert over.status_code == 409 and over.get_json()["reason"] == "limit-reached"


def test_outside_its_validity_window_a_code_is_refused(app, till):
    campaign(app, "Later", percent_bp=500, shared_code="LATER", valid_from=NOW + dt.timedelta(days=2),
             valid_until=NOW + dt.timedelta(days=9))
    campaign(app, "Gone", percent_bp=500, shared_code="GONE", valid_from=NOW - dt.timedelta(days=9),
             valid_until=NOW - dt.timedelta(days=2))
    basket = new_basket(till)
    add(till, basket, DAIRY)
    assert apply(till, basket, "LATER").get_json()["reason"] == "not-yet-valid"
    assert apply(till, basket, "GONE").get_json()["reason"] == "expired"


def test_a_mistyped_or_unknown_code_is_refused_with_its_reason(app, till):
    _, codes = campaign(app, percent_bp=500, issue=1)
    basket = new_basket(till)
    add(till, basket, DAIRY)
    wrong = ("B" if codes[0][0] == "A" else "A") + codes[0][1:]  # one character typed wrong
    mistyped = apply(till, basket, wrong)
    assert mistyped.status_code == 422 and mistyped.get_json()["reason"] == "mistyped"
    unknown = apply(till, basket, "NOSUCHCODE")
    assert unknown.status_code == 404 and unknown.get_json()["reason"] == "unknown"
    assert till.delete(f"/api/v1/baskets/{basket}/coupon").status_code == 200


def test_a_returned_line_gives_back_the_discounted_price(app, till):
    set_group(app, "dairy", DAIRY)
    campaign(app, percent_bp=2000, shared_code="DAIRY20", product_groups=["dairy"])
    basket = new_basket(till)
    add(till, basket, DAIRY, 3)
    apply(till, basket, "DAIRY20")
    sold = pay(till, basket).get_json()
    line = sold["lines"][0]
    assert line["amount"] < line["gross"]
    returned = till.post("/api/v1/returns", json={"sale_id": sold["id"], "approval": BOSS,
                                                  "lines": [{"sale_line_id": line["id"], "quantity": 3}]})
    assert returned.status_code == 201, returned.get_json()
    assert returned.get_json()["total"] == line["amount"]
