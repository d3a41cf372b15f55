"""A return by receipt from the keyboard, in every language: the receipt's code typed as printed or scanned
into the till, lines and quantities picked (never more than is left), a reason and a manager's PIN, the
refund to the original tender, and the return slip shown as the printer printed it. No UUID is typed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import minor_units, money_text, product, wedge_scan
from tests.integration.devices.conftest import configure_terminal


@pytest.fixture
def printing_till(live_store, tmp_path):
    configure_terminal(live_store.app, printer_url=f"emulator://printer?dir={tmp_path / 'printer'}")
    yield live_store
    live_store.app.extensions["pos.devices"].close()


def sell_by_card(page, items) -> int:
    """Scan each (code, quantity) and pay the whole by card; the total."""
    rows = page.locator("#lines-body tr")
    for index, (code, count) in enumerate(items):
        wedge_scan(page, code)
        expect(rows).to_have_count(index + 1)
        if count != 1:
            page.keyboard.press("F2")
            page.keyboard.type(str(count))
            page.keyboard.press("Enter")
            expect(rows.nth(index).locator("td.qty")).to_have_text(str(count))
    total = minor_units(page.locator("#total").inner_text())
    page.keyboard.press("F4")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(f"{total // 100},{total % 100:02d}")
    page.keyboard.press("Tab")
    page.keyboard.type("auth-7")
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    return total


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_return_by_the_receipt_number_as_printed_refunds_the_card(page, printing_till, language):
    live_store = printing_till
    api = live_store.api()
    socks, cap = product(api, "SKU-000002"), product(api, "SKU-000003")
    log_in(page, live_store, language)
    sell_by_card(page, [(socks["barcodes"][0], 3), (cap["barcodes"][0], 1)])
    sale_id = page.locator("#receipt").get_attribute("data-sale-id")

    # F1 then 1: the return; a receipt that does not exist is said so, with what to do
    page.keyboard.press("F1")
    expect(page.locator("#menu-dialog")).to_be_visible()
    page.keyboard.press("1")
    dialog = page.locator("#return-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#return-code")).to_be_focused()
    page.keyboard.type("R-T1-99")
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(tr(
        language, "No receipt {code} at this store. Check the number on the receipt and type it again.",
        code="R-T1-99"))
    assert_translated(page, language)

    page.keyboard.press("Control+A")
    page.keyboard.type("R-T1-1")  # as printed under the receipt's barcode
    page.keyboard.press("Enter")
    lines = page.locator("#return-lines tr")
    expect(lines).to_have_count(2)
    expect(page.locator("#return-refund")).to_have_text(
        tr(language, "The refund goes back to the original payment: {tenders}", tenders=tr(language, "Card")))
    quantity = lines.nth(0).locator("input")
    expect(quantity).to_be_focused()
    page.keyboard.type("4")  # three were sold
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(
        tr(language, "At most {left} can be returned on this line.", left="3"))
    expect(quantity).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Tab")  # the cap stays
    page.keyboard.press("Tab")
    expect(page.locator("#return-reason")).to_be_focused()
    page.keyboard.type("size")
    page.keyboard.press("Tab")
    page.keyboard.type("boss")
    page.keyboard.press("Tab")
    page.keyboard.type("0000")
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(tr(language, "Unknown login or wrong PIN. Type them again."))
    expect(page.locator("#return-pin")).to_be_focused()
    assert_translated(page, language)
    page.keyboard.type("9999")
    screenshot(page, "return", language)
    page.keyboard.press("Enter")

    refund = 2 * socks["price"]["amount"]
    printout = page.locator("#printout-dialog")
    expect(printout).to_be_visible()
    expect(printout).to_have_attribute("data-shown", "picture")
    assert printout.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    card = f"{tr(language, 'Card')} {money_text(refund)}"
    expect(page.locator("#printout-message")).to_have_text(
        tr(language, "Returned {total}. Refund: {refunds}.", total=money_text(refund), refunds=card))
    screenshot(page, "return-slip", language)
    page.keyboard.press("Enter")
    expect(printout).to_be_hidden()
    expect(page.locator("#code")).to_be_focused()

    sale = api.get(f"/api/v1/sales/{sale_id}").json()
    assert [line["returned_quantity"] for line in sale["lines"]] == [2, 0]
    assert [(p["method"], p["refunded"]) for p in sale["payments"]] == [("card", refund)]

    # The receipt's code scanned at the till opens its return: what is left is what can still go back
    wedge_scan(page, "R-T1-1")
    expect(dialog).to_be_visible()
    expect(lines).to_have_count(2)
    expect(lines.nth(0).locator("td").nth(2)).to_have_text("2")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(
        tr(language, "At most {left} can be returned on this line.", left="1"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
