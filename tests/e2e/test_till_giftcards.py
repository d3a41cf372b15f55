"""Gift cards at the till in Chromium, from the keyboard in every language: a card sold from the till menu (its
code said to the cashier), then scanned at payment, spent in part of a sale with the rest in cash."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pos.giftcards.models import GiftCard
from pos.giftcards.services import printed
from pos.sales.models import Payment, Sale
from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import product, wedge_scan


@pytest.mark.parametrize("language", LANGUAGES)
def test_sell_a_gift_card_then_pay_partly_with_it(page, live_store, language):
    item = product(live_store.api(), "SKU-000001")
    price = item["price"]["amount"]
    card_value = price // 2
    log_in(page, live_store, language)

    page.keyboard.press("F1")
    expect(page.locator("#menu-dialog")).to_be_visible()
    page.locator('[data-menu="gift-card"]').click()
    expect(page.locator("#gift-card-amount")).to_be_focused()
    expect(page.locator("#gift-card-dialog h2")).to_have_text(tr(language, "Sell a gift card"))
    page.keyboard.type(f"{card_value // 100},{card_value % 100:02d}")
    page.keyboard.press("Enter")
    expect(page.locator("#gift-card-dialog")).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    page.keyboard.press("Enter")  # exact cash
    expect(page.locator("#payment-dialog")).to_be_hidden()
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        card = uow.session.scalars(select(GiftCard)).one()
        assert card.balance == card_value
    expect(page.locator("#message")).to_contain_text(printed(card.code))
    assert_translated(page, language)

    wedge_scan(page, item["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    wedge_scan(page, printed(card.code))  # the card scanned: the payment opens with it
    expect(page.locator("#payment-dialog")).to_be_visible()
    expect(page.locator("#pay-gift-balance")).not_to_be_empty()
    expect(page.locator("#pay-gift")).to_be_focused()
    expect(page.locator("#pay-gift")).not_to_have_value("")
    assert_translated(page, language)
    screenshot(page, "gift-card-payment", language)
    rest = price - card_value
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#pay-cash")).to_be_focused()
    page.keyboard.type(f"{rest // 100},{rest % 100:02d}")
    page.keyboard.press("Enter")
    expect(page.locator("#payment-dialog")).to_be_hidden()
    expect(page.locator("#message")).to_be_visible()

    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(GiftCard.balance)) == 0
        last = uow.session.scalars(select(Sale).order_by(Sale.receipt_number.desc())).first()
        paid = [(p.method, p.amount, p.reference) for p in uow.session.scalars(
            select(Payment).where(Payment.sale_id == last.id).order_by(Payment.position))]
    assert paid == [("gift_card", card_value, card.code), ("cash", rest, "")]
    assert page.script_errors == []
