"""Loose goods at a till with a checkout scale (8217 emulator), from the keyboard in every language: a PLU
weighed with a tare from the page, unsteady and empty weighings refused with what to do, and a weight typed
by hand with a manager's PIN when the scale is down (audited as manual_weight)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pos.staff.models import AuditEntry
from tests.e2e.day import LANGUAGES, assert_translated, log_in, screenshot, tr
from tests.e2e.test_cashier_page import product
from tests.integration.devices.conftest import configure_terminal, station

WEIGHED_SKU = "SKU-000005"  # sold by the kilogram in the demo catalogue


@pytest.fixture
def hub(live_store):
    hub = live_store.app.extensions["pos.devices"]
    yield hub
    hub.close()


def scale_says(language: str, message: str, action: str) -> str:
    return f"{tr(language, message)} {tr(language, action)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_weighing_with_a_tare_refusals_and_a_manual_weight_with_a_manager_pin(page, live_store, hub, language):
    configure_terminal(live_store.app, scale_url="emulator://scale?timeout=0.3")
    api = live_store.api()
    loose = product(api, WEIGHED_SKU)
    plu = str(loose["plu"])
    platter = station(live_store.app).device("scale").emulator
    log_in(page, live_store, language)
    rows = page.locator("#lines-body tr")

    # F5: weigh a PLU in a 40 g box; the goods still swing, so the scale refuses and the page says what to do
    page.keyboard.press("F5")
    dialog = page.locator("#weigh-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#weigh-code")).to_be_focused()
    page.keyboard.type(plu)
    page.keyboard.press("Tab")
    page.keyboard.type("40")
    platter.place(40 + 560, motion=True)
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(scale_says(
        language, "The weight is not steady yet.", "Let the goods rest on the scale, then weigh again."))
    assert_translated(page, language)
    screenshot(page, "weigh-unsteady", language)
    expect(rows).to_have_count(0)

    platter.place(40 + 560)  # steady now: Enter again
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td.qty")).to_have_text("0,560\u00a0kg")
    expect(page.locator("#message")).to_have_text(
        tr(language, "Weighed: {name} {weight}", name=loose["name"], weight="0,560\u00a0kg"))
    assert platter.tare == 0  # the box's tare is cleared for the next customer

    # A PLU typed in the code field with nothing on the scale
    platter.place(0)
    page.locator("#code").focus()
    page.keyboard.type(plu)
    page.keyboard.press("Enter")
    expect(page.locator("#error-text")).to_have_text(scale_says(
        language, "Nothing is on the scale.", "Put the goods on the scale, then weigh again."))
    assert_translated(page, language)
    expect(rows).to_have_count(1)

    # The scale is down: the page asks for the weight and a manager's PIN
    platter.unplug()
    page.keyboard.type(plu)
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(page.locator("#manual-weight")).to_be_visible()
    expect(dialog.locator(".inline-error")).to_have_text(scale_says(
        language, "The scale does not answer.",
        "Check the scale's cable and power; or enter the weight with a manager's PIN."))
    expect(page.locator("#manual-grams")).to_be_focused()
    page.keyboard.type("0,700")
    page.keyboard.press("Tab")
    page.keyboard.type("demo")  # a cashier cannot allow it
    page.keyboard.press("Tab")
    page.keyboard.type("1234")
    page.keyboard.press("Enter")
    expect(dialog.locator(".inline-error")).to_have_text(
        tr(language, "That login is not a manager's. Ask a manager to type their login and PIN."))
    expect(page.locator("#weigh-manager")).to_be_focused()
    assert_translated(page, language)
    page.keyboard.type("boss")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("9999")
    screenshot(page, "weigh-manual", language)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("td.qty")).to_have_text("0,700\u00a0kg")
    screenshot(page, "weighed", language)

    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "manual_weight")).all()
    assert [(entry.subject, entry.details["grams"]) for entry in audit] == [(WEIGHED_SKU, 700)]
