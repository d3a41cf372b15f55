"""A coupon at the till in Chromium, from the keyboard in every language: scanned, its discount shown on the
line and beside the total, paid, the receipt showing the discounted line; a used code refused in words that
say what to do."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from pos.catalogue.models import Product
from pos.coupons import services
from pos.coupons.rules import printable
from pos.sales.models import Sale
from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import product, wedge_scan

NOW = dt.datetime.now(dt.timezone.utc)


def a_campaign(app, sku: str) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Product).where(Product.sku == sku).values(product_group="dairy"))
        made = services.create_campaign(uow.session, name="Milk week", percent_bp=1000, product_groups=["dairy"],
                                        currency=app.extensions["pos.settings"].country.currency,
                                        valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=7))
        code = services.issue_batch(uow.session, made.id, 1)[1][0]
        uow.commit()
    return printable(code)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_scanned_coupon_takes_its_discount_off_the_line_and_the_receipt_shows_it(page, live_store, language):
    api = live_store.api()
    milk, bread = product(api, "SKU-000001"), product(api, "SKU-000000")
    code = a_campaign(live_store.app, "SKU-000001")
    log_in(page, live_store, language)
    wedge_scan(page, milk["barcodes"][0])
    wedge_scan(page, bread["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(2)
    wedge_scan(page, code)  # the coupon's barcode carries the code as printed
    discount = (milk["price"]["amount"] * 1000 + 5000) // 10000
    expect(page.locator("#coupon-box")).to_be_visible()
    expect(page.locator("#lines-body tr").first.locator(".note")).to_be_visible()
    expect(page.locator("#lines-body tr").nth(1).locator(".note")).to_have_count(0)
    shown = page.locator("#coupon-shown").inner_text()
    assert code in shown
    basket = page.evaluate("() => window.till.state.basket")
    assert basket["lines"][0]["discount"] == discount and basket["total"] == milk["price"]["amount"] + bread["price"]["amount"] - discount
    screenshot(page, "coupon-on-basket", language)
    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_have_attribute("data-shown", re.compile("^(picture|text)$"))
    if receipt.get_attribute("data-shown") == "picture":  # the receipt as the printer printed it
        assert receipt.locator("img[alt=receipt]").evaluate("img => img.complete && img.naturalWidth > 0")
    else:
        assert tr(language, "Discount") in receipt.locator("pre.receipt-text").inner_text()
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        sale = uow.session.scalars(select(Sale)).one()
        assert sale.discount_total == discount and sale.lines[0].coupon_discount == discount

    # the same code at the next customer: refused, saying what to do
    wedge_scan(page, milk["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    wedge_scan(page, code.replace("-", ""))
    expect(page.locator("#error-text")).to_have_text(tr(language, "This coupon was used already. Sell without it."))
    expect(page.locator("#coupon-box")).to_be_hidden()
    assert_translated(page, language)
    assert page.script_errors == []
