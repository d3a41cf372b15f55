"""Loyalty at the till in Chromium, from the keyboard: the customer's loyalty card scanned attaches them,
the sale earns points, and the next sale is paid with those points (the balance shown in the payment
dialog, the part paid with points earning nothing)."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pos.customers.models import Customer
from pos.loyalty import services
from pos.sales.models import Payment, Sale
from tests.e2e.day import assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import product, wedge_scan

CARD = "LC400100200"


def programme_and_card(app) -> uuid.UUID:
    with app.extensions["pos.db"].unit_of_work() as uow:
        services.configure(uow.session, {"name": "Karta", "points_per_unit": 100, "point_value": 1,
                                         "rolling_days": 365})
        customer = Customer(name="Ewa Nowak", card=CARD)
        uow.session.add(customer)
        uow.commit()
        return customer.id


def balance(app, customer_id) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return services.summary(uow.session, customer_id)["balance"]


@pytest.mark.parametrize("language", ["pl", "uk"])
def test_a_card_scanned_earns_and_the_next_sale_is_paid_with_points(page, live_store, language):
    customer_id = programme_and_card(live_store.app)
    item = product(live_store.api(), "SKU-000003")
    log_in(page, live_store, language)

    wedge_scan(page, CARD)  # the card (or its QR on the customer's phone) at the scanner
    expect(page.locator("#customer-shown")).to_have_text("Ewa Nowak")
    expect(page.locator("#message")).to_have_text(
        tr(language, "Loyalty card {card}: {name} attached to this sale.", card=CARD, name="Ewa Nowak"))
    wedge_scan(page, item["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    expect(page.locator("#pay-points")).to_be_visible()
    page.keyboard.press("Enter")  # exact cash
    expect(page.locator("#payment-dialog")).to_be_hidden()
    earned = balance(live_store.app, customer_id)
    assert earned == item["price"]["amount"]  # one point per grosz

    wedge_scan(page, CARD)
    expect(page.locator("#customer-shown")).to_have_text("Ewa Nowak")
    wedge_scan(page, item["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#pay-points-balance")).to_contain_text(str(earned))
    assert_translated(page, language)
    page.locator("#pay-points").fill(f"{earned // 100},{earned % 100:02d}")
    screenshot(page, "loyalty-pay-points", language)
    page.locator("#pay-points").press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    assert balance(live_store.app, customer_id) == 0  # spent whole; the part paid with points earns nothing
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        last = uow.session.scalars(select(Sale).order_by(Sale.receipt_number.desc())).first()
        paid = [(p.method, p.amount) for p in uow.session.scalars(select(Payment).where(Payment.sale_id == last.id))]
    assert paid == [("points", earned)] and last.customer_id == customer_id
    assert page.script_errors == []


def test_more_points_than_the_card_holds_are_refused_in_the_tills_language(page, live_store):
    customer_id = programme_and_card(live_store.app)
    item = product(live_store.api(), "SKU-000004")
    log_in(page, live_store, "cs")
    wedge_scan(page, CARD)
    expect(page.locator("#customer-shown")).to_have_text("Ewa Nowak")
    wedge_scan(page, item["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#pay-points-balance")).to_contain_text("0")
    page.locator("#pay-points").fill("1")
    page.locator("#pay-cash").fill("9999")
    page.locator("#pay-cash").press("Enter")
    expect(page.locator("#payment-dialog .inline-error")).to_have_text(tr(
        "cs", "Not enough points on the card (balance {balance}). Lower the amount paid with points.", balance=0))
    assert balance(live_store.app, customer_id) == 0
