"""The customer at the till, from the keyboard in every language: looked up by phone, e-mail or card as the
customer says it, created with consent flags when unknown, attached to the sale."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pos.customers.models import Customer
from pos.sales.models import Sale
from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import product, wedge_scan


def customer_menu(page) -> None:
    page.keyboard.press("F1")
    expect(page.locator("#menu-dialog")).to_be_visible()
    page.keyboard.press("0")
    expect(page.locator("#customer-query")).to_be_focused()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_new_customer_with_consent_is_attached_and_found_again_as_typed(page, live_store, language):
    api = live_store.api()
    item = product(api, "SKU-000002")
    log_in(page, live_store, language)
    dialog = page.locator("#customer-dialog")

    customer_menu(page)
    page.keyboard.type("600 100 200")  # a phone as the customer says it
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(tr(
        language, "No customer found. Fill in the new customer's details with their consent, then Enter; or Esc."))
    expect(page.locator("#customer-phone")).to_have_value("600 100 200")
    expect(page.locator("#customer-name-field")).to_be_focused()
    assert_translated(page, language)
    page.keyboard.type("Jan Kowalski")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Jan.Kowalski@Example.com")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#consent-email")).to_be_focused()
    page.keyboard.press("Space")  # yes to e-mail offers, not to text messages
    screenshot(page, "customer-new", language)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#customer-shown")).to_have_text("Jan Kowalski")
    expect(page.locator("#message")).to_have_text(
        tr(language, "Customer {name} attached to this sale.", name="Jan Kowalski"))

    wedge_scan(page, item["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    expect(page.locator("#customer-box")).to_be_hidden()  # the next customer starts without one

    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        customer = uow.session.scalars(select(Customer)).one()
        assert (customer.name, customer.phone, customer.email, customer.marketing_email, customer.marketing_sms) == (
            "Jan Kowalski", "+48600100200", "jan.kowalski@example.com", True, False)
        assert uow.session.scalars(select(Sale.customer_id)).one() == customer.id

    # found again however the phone or e-mail is typed
    for typed in ("+48 600-100-200", "JAN.KOWALSKI@example.com"):
        customer_menu(page)
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        results = page.locator("#customer-results button")
        expect(results).to_have_count(1)
        expect(results.nth(0)).to_be_focused()
        page.keyboard.press("1")
        expect(dialog).to_be_hidden()
        expect(page.locator("#customer-shown")).to_have_text("Jan Kowalski")
    screenshot(page, "customer-attached", language)
