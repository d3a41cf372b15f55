"""The till's day from the keyboard, in every language: a line and a whole basket voided, cash in and out
with a reason, the drawer opened without a sale by a manager, the X report, the shift closed by counting
the drawer note by note (expected and difference shown), and the Z report; each printout shown as printed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pos.shifts.models import Shift
from pos.staff.models import AuditEntry
from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import money_text, product, wedge_scan
from tests.e2e.test_till_returns import printing_till  # noqa: F401  (the fixture)

PLN = [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1]


def shows_printout(page, kind: str, message: str, language: str) -> None:
    dialog = page.locator("#printout-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("data-kind", kind)
    expect(dialog).to_have_attribute("data-shown", "picture")
    assert dialog.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("#printout-message")).to_have_text(message)
    assert_translated(page, language)
    screenshot(page, kind.replace("_", "-"), language)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()


def menu(page, number: str) -> None:
    page.keyboard.press("F1")
    expect(page.locator("#menu-dialog")).to_be_visible()
    page.keyboard.press(number)
    expect(page.locator("#menu-dialog")).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_voids_cash_drawer_x_close_by_denomination_and_z(page, printing_till, language):  # noqa: F811
    live_store = printing_till
    api = live_store.api()
    first, second = product(api, "SKU-000002"), product(api, "SKU-000004")
    log_in(page, live_store, language)
    rows = page.locator("#lines-body tr")

    # void a line (F8), then the whole basket (menu 2)
    wedge_scan(page, first["barcodes"][0])
    wedge_scan(page, second["barcodes"][0])
    expect(rows).to_have_count(2)
    page.keyboard.press("F8")
    expect(rows).to_have_count(1)
    menu(page, "2")
    expect(rows).to_have_count(0)
    expect(page.locator("#message")).to_have_text(
        tr(language, "Basket voided. Scan the next item to start a new sale."))

    # one sale in cash
    wedge_scan(page, first["barcodes"][0])
    expect(rows).to_have_count(1)
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    sale_cash = first["price"]["amount"]

    # cash in and cash out, each with a reason; a missing reason is asked for
    menu(page, "3")
    expect(page.locator("#cash-amount")).to_be_focused()
    page.keyboard.type("50,00")
    page.keyboard.press("Enter")
    expect(page.locator("#cash-dialog .inline-error")).to_have_text(tr(language, "Type a reason."))
    expect(page.locator("#cash-reason")).to_be_focused()
    page.keyboard.type("coins")
    page.keyboard.press("Enter")
    shows_printout(page, "cash_in", tr(language, "Cash in of {amount} recorded.", amount=money_text(5000)), language)
    menu(page, "4")
    page.keyboard.type("20,00")
    page.keyboard.press("Tab")
    page.keyboard.type("safe")
    page.keyboard.press("Enter")
    shows_printout(page, "cash_out", tr(language, "Cash out of {amount} recorded.", amount=money_text(2000)),
                   language)

    # the drawer without a sale: a manager's PIN
    menu(page, "5")
    expect(page.locator("#drawer-reason")).to_be_focused()
    page.keyboard.type("check")
    page.keyboard.press("Enter")
    expect(page.locator("#drawer-dialog .inline-error")).to_have_text(
        tr(language, "This needs a manager: type the manager's login and PIN."))
    expect(page.locator("#drawer-manager")).to_be_focused()
    page.keyboard.type("boss")
    page.keyboard.press("Tab")
    page.keyboard.type("9999")
    page.keyboard.press("Enter")
    expect(page.locator("#drawer-dialog")).to_be_hidden()
    expect(page.locator("#message")).to_have_text(tr(language, "Drawer opened."))

    # X report at any time
    menu(page, "6")
    shows_printout(page, "x_report", tr(language, "X report printed. The shift stays open."), language)

    # close: count the drawer note by note, one złoty short
    expected = 20000 + sale_cash + 5000 - 2000
    menu(page, "7")
    dialog = page.locator("#close-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#close-expected")).to_have_text(money_text(expected))
    left = expected - 100
    for value in PLN:
        count, left = divmod(left, value)
        if count:
            page.keyboard.type(str(count))
        page.keyboard.press("Tab")
    expect(page.locator("#close-counted")).to_have_text(money_text(expected - 100))
    expect(page.locator("#close-difference")).to_have_text("\u2212" + money_text(100))
    assert_translated(page, language)
    screenshot(page, "close-shift", language)
    page.keyboard.press("Enter")
    summary = tr(language, "Shift closed. Counted {counted}, expected {expected}, difference {difference}.",
                 counted=money_text(expected - 100), expected=money_text(expected),
                 difference="\u2212" + money_text(100))
    shows_printout(page, "shift_close", summary, language)

    # the Z report closes the day; then a new shift can open
    closed = page.locator("#closed-dialog")
    expect(closed).to_be_visible()
    page.keyboard.press("1")
    shows_printout(page, "z_report", tr(language, "Z report no. {number} printed. The day is closed.", number=1),
                   language)
    expect(closed).to_be_visible()
    page.keyboard.press("2")
    expect(page.locator("#shift-dialog")).to_be_visible()

    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        shift = uow.session.scalars(select(Shift)).one()
        assert (shift.status, shift.counted_cash, shift.expected_cash, shift.over_short) == (
            "closed", expected - 100, expected, -100)
        assert shift.day_report_id is not None
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "drawer_open")).all()
        assert [entry.details["reason"] for entry in audit] == ["check"]
