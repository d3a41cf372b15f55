"""Goods without a barcode found by name as typed (accents and alphabet do not matter), the last receipt
reprinted as a copy, and this shift's sales listed with a copy of any of them; in every language."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pos.devices.models import PrintJob
from pos.staff.models import AuditEntry
from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import money_text, product, wedge_scan
from tests.e2e.test_till_returns import printing_till  # noqa: F401  (the fixture)

NAMES = {"SKU-ZOLTY": "Ser żółty plastry 150g", "SKU-KHLIB": "Хліб житній 500g"}


@pytest.fixture
def loose_goods(live_store):
    """Two products sold by name (no barcode on them)."""
    from pos.catalogue.importer import ProductRow, write_rows
    with live_store.app.extensions["pos.db"].unit_of_work() as uow:
        write_rows(uow.session, [ProductRow(line=index, sku=sku, name=name, unit="pcs", vat_group="B", price=650,
                                            barcodes=[], plu=None)
                                 for index, (sku, name) in enumerate(NAMES.items(), start=2)], "PLN")
        uow.commit()
    return live_store


def find(page, typed: str) -> None:
    page.keyboard.press("F3")
    expect(page.locator("#search-query")).to_be_focused()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")


def pay_in_cash(page) -> None:
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_goods_found_by_name_reprint_of_the_last_receipt_and_this_shifts_sales(page, loose_goods, printing_till,  # noqa: F811
                                                                              language):
    live_store = printing_till
    rows = page.locator("#lines-body tr")
    results = page.locator("#search-results button")
    log_in(page, live_store, language)

    find(page, "zolty")  # without the Polish letters
    expect(results).to_have_count(1)
    expect(results.nth(0)).to_have_attribute("data-sku", "SKU-ZOLTY")
    expect(results.nth(0)).to_be_focused()
    screenshot(page, "find-by-name", language)
    page.keyboard.press("1")
    expect(page.locator("#search-dialog")).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("data-sku", "SKU-ZOLTY")

    find(page, "хліб")  # Cyrillic as written
    expect(results).to_have_count(1)
    expect(results.nth(0)).to_have_attribute("data-sku", "SKU-KHLIB")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    find(page, "khlib zhit")  # the same bread typed on a Latin keyboard
    expect(results).to_have_count(1)
    expect(results.nth(0)).to_have_attribute("data-sku", "SKU-KHLIB")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("td.qty")).to_have_text("2")

    find(page, "qqqq")
    expect(page.locator("#search-dialog .inline-error")).to_have_text(
        tr(language, "Nothing found for “{query}”. Try fewer letters.", query="qqqq"))
    assert_translated(page, language)
    page.keyboard.press("Escape")
    pay_in_cash(page)  # receipt 1

    api = live_store.api()
    wedge_scan(page, product(api, "SKU-000002")["barcodes"][0])
    expect(rows).to_have_count(1)
    pay_in_cash(page)  # receipt 2

    # F1 8: the last receipt again, as a copy
    page.keyboard.press("F1")
    page.keyboard.press("8")
    printout = page.locator("#printout-dialog")
    expect(printout).to_have_attribute("data-kind", "receipt_copy")
    expect(printout).to_have_attribute("data-shown", "picture")
    expect(page.locator("#printout-message")).to_have_text(tr(language, "Copy of receipt no. {number} printed.",
                                                              number=2))
    screenshot(page, "receipt-copy", language)
    page.keyboard.press("Enter")
    expect(printout).to_be_hidden()

    # F1 9: this shift's sales, newest first; a copy of the first one
    page.keyboard.press("F1")
    page.keyboard.press("9")
    sales = page.locator("#sales-list button")
    expect(sales).to_have_count(2)
    expect(sales.nth(0)).to_have_attribute("data-receipt", "R-T1-2")
    expect(sales.nth(1)).to_have_attribute("data-receipt", "R-T1-1")
    expect(sales.nth(0)).to_be_focused()
    assert_translated(page, language)
    screenshot(page, "shift-sales", language)
    page.keyboard.press("ArrowDown")
    expect(sales.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#printout-message")).to_have_text(tr(language, "Copy of receipt no. {number} printed.",
                                                              number=1))
    page.keyboard.press("Enter")

    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        jobs = [(job.kind, job.reference) for job in uow.session.scalars(
            select(PrintJob).where(PrintJob.kind.in_(("receipt", "receipt_copy"))).order_by(PrintJob.created_at))]
    assert jobs == [("receipt", "1"), ("receipt", "2"), ("receipt_copy", "2"), ("receipt_copy", "1")]

    # Delete on a sale in the list voids it whole: a reason and a manager's PIN, refunded in cash
    void = page.locator("#void-dialog")
    for attempt in range(2):
        page.keyboard.press("F1")
        page.keyboard.press("9")
        expect(sales.nth(0)).to_be_focused()
        page.keyboard.press("Delete")
        expect(void).to_be_visible()
        expect(page.locator("#void-reason")).to_be_focused()
        page.keyboard.type("mistake")
        page.keyboard.press("Enter")
        expect(void.locator(".inline-error")).to_have_text(
            tr(language, "This needs a manager: type the manager's login and PIN."))
        page.keyboard.type("boss")
        page.keyboard.press("Tab")
        page.keyboard.type("9999")
        page.keyboard.press("Enter")
        if attempt == 0:
            price = money_text(product(api, "SKU-000002")["price"]["amount"])
            expect(page.locator("#printout-message")).to_have_text(tr(
                language, "Sale {number} voided. Refund: {refunds}.", number="R-T1-2",
                refunds=f"{tr(language, 'Cash')} {price}"))
            expect(page.locator("#printout-dialog")).to_have_attribute("data-kind", "return")
            screenshot(page, "void-sale", language)
            page.keyboard.press("Enter")
        else:  # nothing is left to void
            expect(void.locator(".inline-error")).to_have_text(
                tr(language, "Everything on this sale was returned already. Nothing to void."))
            assert_translated(page, language)
            page.keyboard.press("Escape")
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        voids = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "void")).all()
    assert len(voids) == 1
