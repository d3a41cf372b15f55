"""The cashier's page in a real browser against a real node: keyboard only, as at the till."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from pos.catalogue.barcodes import with_check_digit
from pos.catalogue.generator import weighed_label
from tests.e2e.conftest import ARTIFACTS, SCAN_GAP_MS

WEDGE_DELAY_MS = 5    # a keyboard-wedge scanner: a few milliseconds between keys
PERSON_DELAY_MS = 90  # a person typing a code by hand (into the code field, which takes keys at any pace)


def money_text(minor: int, symbol: str = "zł") -> str:
    """How the page shows money: decimal comma, a space between thousands, the currency after."""
    whole = f"{minor // 100:,}".replace(",", "\u00a0")
    return f"{whole},{minor % 100:02d}\u00a0{symbol}"


def minor_units(text: str) -> int:
    digits = re.sub(r"[^\d,]", "", text)
    whole, cents = digits.split(",")
    return int(whole) * 100 + int(cents)


def product(api, sku: str) -> dict:
    items = api.get(f"/api/v1/products?q={sku}").json()["items"]
    assert [item["sku"] for item in items] == [sku]
    return items[0]


def log_in_and_open_shift(page, url: str, terminal: str = "T1") -> None:
    page.goto(url + "/")
    expect(page.locator("#login-name")).to_be_focused()
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    page.keyboard.type("1234")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type(terminal)
    page.keyboard.press("Enter")
    expect(page.locator("#shift-dialog")).to_be_visible()
    expect(page.locator("#shift-float")).to_be_focused()
    page.keyboard.type("200,00")
    page.keyboard.press("Enter")
    expect(page.locator("#shift-dialog")).to_be_hidden()
    expect(page.locator("#code")).to_be_focused()


def wedge_scan(page, code: str) -> None:
    page.keyboard.type(code, delay=WEDGE_DELAY_MS)
    page.keyboard.press("Enter")


def test_a_sale_scanned_and_paid_by_card_and_cash_from_the_keyboard(page, live_store):
    api = live_store.api()
    bread, milk = product(api, "SKU-000000"), product(api, "SKU-000001")
    label = weighed_label(plu=1, grams=352)
    log_in_and_open_shift(page, live_store.url)
    rows = page.locator("#lines-body tr")

    # The scanner types wherever the focus is — here nowhere in particular.
    page.evaluate("document.activeElement.blur()")
    wedge_scan(page, bread["barcodes"][0])
    expect(rows).to_have_count(1)
    page.evaluate("document.activeElement.blur()")
    wedge_scan(page, label)
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("td.qty")).to_have_text("0,352\u00a0kg")
    # A person types the third code into the code field, slowly.
    page.locator("#code").focus()
    page.keyboard.type(milk["barcodes"][0], delay=PERSON_DELAY_MS)
    page.keyboard.press("Enter")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_have_class("selected")

    total = minor_units(page.locator("#total").inner_text())
    amounts = [minor_units(text) for text in rows.locator("td.amount").all_inner_texts()]
    assert total == sum(amounts) and total > 0
    expect(page.locator("#total")).to_have_text(money_text(total))
    expect(rows.locator("td.vat")).to_have_text([re.compile(r"^[A-E]$")] * 3)

    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    expect(page.locator("#pay-total")).to_have_text(money_text(total))
    card = total // 2
    cash = total - card + 555  # 5,55 zł change
    expect(page.locator("#pay-cash")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(f"{card // 100},{card % 100:02d}")
    page.keyboard.press("Tab")
    page.keyboard.type("auth-0042")
    page.keyboard.press("Tab")
    page.keyboard.type(f"{cash // 100},{cash % 100:02d}")
    expect(page.locator("#pay-change")).to_have_text(money_text(555))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payment.png"))
    # An impatient double Enter must still make one sale.
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    expect(page.locator("#change")).to_have_text(money_text(555))
    expect(page.locator("#total")).to_have_text(money_text(total))  # still shown until the next scan
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_have_attribute("data-receipt-number", "1")
    sale_id = receipt.get_attribute("data-sale-id")

    expect(receipt).to_have_attribute("data-shown", re.compile("^(picture|text)$"))
    picture = receipt.locator("img[alt=receipt]")
    if receipt.get_attribute("data-shown") == "picture":
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    else:
        text = receipt.locator("pre.receipt-text").inner_text()
        assert "Paragon nr 1" in text and money_text(total) in text and "auth-0042" in text
    page.screenshot(path=str(ARTIFACTS / "after-payment.png"))

    sale = api.get(f"/api/v1/sales/{sale_id}").json()
    assert [(line["sku"], line["quantity"]) for line in sale["lines"]] == [
        ("SKU-000000", 1), ("SKU-000005", 352), ("SKU-000001", 1)]
    assert [line["amount"] for line in sale["lines"]] == amounts
    assert sale["total"] == total and sale["change"] == 555 and sale["receipt_number"] == 1
    assert sorted((p["method"], p["amount"], p["reference"]) for p in sale["payments"]) == [
        ("card", card, "auth-0042"), ("cash", cash, "")]
    from pos.sales.models import Sale
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Sale)) == 1


def test_an_unknown_code_is_reported_and_the_basket_keeps_its_lines(page, live_store):
    api = live_store.api()
    first, second = product(api, "SKU-000002"), product(api, "SKU-000003")
    unknown = with_check_digit("590000099999")
    log_in_and_open_shift(page, live_store.url)
    rows = page.locator("#lines-body tr")
    wedge_scan(page, first["barcodes"][0])
    wedge_scan(page, second["barcodes"][0])
    expect(rows).to_have_count(2)
    total_before = page.locator("#total").inner_text()

    wedge_scan(page, unknown)
    expect(page.locator("#error-text")).to_have_text(f"Nieznany kod {unknown}")
    expect(page.locator("#error")).to_have_attribute("data-empty", "false")
    expect(rows).to_have_count(2)
    expect(page.locator("#total")).to_have_text(total_before)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "unknown-code.png"))

    # The basket is still there to sell: the next good scan clears the error (the same item again: quantity 2).
    wedge_scan(page, second["barcodes"][0])
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("td.qty")).to_have_text("2")
    expect(page.locator("#error")).to_have_attribute("data-empty", "true")


def test_a_scan_while_typing_a_quantity_adds_the_item_and_leaves_the_typed_quantity_alone(page, live_store):
    api = live_store.api()
    first, second = product(api, "SKU-000004"), product(api, "SKU-000006")
    log_in_and_open_shift(page, live_store.url)
    rows = page.locator("#lines-body tr")
    wedge_scan(page, first["barcodes"][0])
    expect(rows).to_have_count(1)

    page.keyboard.press("F2")
    field = page.locator("#quantity-value")
    expect(field).to_be_focused()
    page.keyboard.type("3")
    page.wait_for_timeout(2 * SCAN_GAP_MS)  # the cashier pauses; then the scanner fires into the same field
    wedge_scan(page, second["barcodes"][0])
    expect(rows).to_have_count(2)
    expect(field).to_have_value("3")
    page.keyboard.press("Enter")
    expect(page.locator("#quantity-dialog")).to_be_hidden()
    # The dialog changes the line it was opened for, though the scan selected the new line.
    expect(rows.nth(0).locator("td.qty")).to_have_text("3")
    expect(rows.nth(1)).to_have_class("selected")

    page.keyboard.press("F8")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("data-sku", "SKU-000004")


def test_a_terminal_in_its_own_language_gives_a_manager_approved_discount_and_parks_a_basket(page, live_store):
    from sqlalchemy import update

    from pos.stores.models import Terminal
    with live_store.app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Terminal).where(Terminal.code == "T2").values(language="cs"))
        uow.commit()
    api = live_store.api(terminal="T2")
    item = product(api, "SKU-000007")

    # The login page is Polish (the node's country); T2 speaks Czech, so the page reloads in Czech.
    log_in_and_open_shift(page, live_store.url, terminal="T2")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.locator(".total-box .label")).to_have_text("Celkem")
    rows = page.locator("#lines-body tr")
    wedge_scan(page, item["barcodes"][0])
    expect(rows).to_have_count(1)

    page.keyboard.press("F9")
    expect(page.locator("#discount-percent")).to_be_focused()
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    expect(page.locator("#manager-approval")).to_be_visible()
    expect(page.locator("#discount-dialog .inline-error")).to_have_text(
        "Tato sleva vyžaduje přihlášení a PIN vedoucího.")
    expect(page.locator("#manager-login")).to_be_focused()
    page.keyboard.type("boss")
    page.keyboard.press("Tab")
    page.keyboard.type("9999")
    page.keyboard.press("Enter")
    expect(page.locator("#discount-dialog")).to_be_hidden()
    discount = (item["price"]["amount"] * 30 + 50) // 100
    expect(rows.nth(0).locator(".note")).to_have_text(f"Sleva −{money_text(discount)}")
    expect(page.locator("#total")).to_have_text(money_text(item["price"]["amount"] - discount))

    page.keyboard.press("F6")
    expect(page.locator("#message")).to_have_text("Košík odložen.")
    expect(rows).to_have_count(0)
    expect(page.locator("#total")).to_have_text(money_text(0))
    page.keyboard.press("F6")
    expect(page.locator("#parked-dialog")).to_be_visible()
    expect(page.locator("#parked-list button")).to_have_count(1)
    page.keyboard.press("1")
    expect(page.locator("#parked-dialog")).to_be_hidden()
    expect(page.locator("#message")).to_have_text("Košík obnoven.")
    expect(rows).to_have_count(1)
    expect(page.locator("#total")).to_have_text(money_text(item["price"]["amount"] - discount))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "czech-terminal.png"))
