"""The cashier's page with T1's devices on emulators: a fiscal fault after a paid sale is fixed from the
keyboard, and a serial scanner's codes appear on the page without typing."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hardware.fiscal.posnet.driver import system_number
from pos.catalogue.barcodes import with_check_digit
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cashier_page import log_in_and_open_shift, money_text, product, wedge_scan
from tests.integration.devices.conftest import configure_terminal, emulator_urls, fiscal_memory, station


@pytest.fixture
def hub(live_store):
    hub = live_store.app.extensions["pos.devices"]
    yield hub
    hub.close()  # stops the in-process POSNET emulator and the scanner's reader


def pay_with_a_fiscal_fault(page, live_store, tmp_path, *fault, **where):
    """T1 on emulators, the fault armed on the POSNET printer, one item paid in cash: (api, item, emulator)."""
    configure_terminal(live_store.app, **emulator_urls(tmp_path))
    api = live_store.api()
    item = product(api, "SKU-000002")
    fiscal = station(live_store.app).device("fiscal", force=True).emulator
    fiscal.inject(*fault, **where)
    log_in_and_open_shift(page, live_store.url)
    wedge_scan(page, item["barcodes"][0])
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    page.keyboard.press("Enter")  # the exact amount in cash
    expect(page.locator("#payment-dialog")).to_be_hidden()
    return api, item, fiscal


def test_paper_out_on_the_fiscal_printer_shows_what_to_do_and_retry_confirms_the_sale(page, live_store, hub,
                                                                                    tmp_path):
    api, item, fiscal = pay_with_a_fiscal_fault(page, live_store, tmp_path, "paper_out", on="trend")

    panel = page.locator("#device-fault")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-state", "fault")
    expect(panel).to_have_attribute("data-code", "paper_out")
    expect(page.locator("#fault-title")).to_have_text("Awaria urządzenia: drukarka fiskalna")
    expect(page.locator("#fault-kept")).to_have_text("Sprzedaż jest opłacona i zapisana.")
    sale_id = page.locator("#receipt").get_attribute("data-sale-id")
    sale = api.get(f"/api/v1/sales/{sale_id}").json()
    assert sale["fiscal_status"] == "sending"
    fault = {item["name"]: item for item in api.get("/api/v1/devices").json()["items"]}["fiscal"]["error"]
    assert fault["code"] == "paper_out" and fault["action"]
    # the spec's meaning of the mechanism state (sprn pr=5 "brak papieru"), in the page's language
    expect(page.locator("#fault-message")).to_have_text("Drukarce fiskalnej skończył się papier.")
    expect(page.locator("#fault-action")).to_have_text("Załóż nową rolkę papieru; drukarka sama wznowi pracę.")
    expect(page.locator("#fault-retry")).to_be_visible()
    expect(page.locator("#fault-reprint")).to_be_visible()
    # the status bar says it too, in red, with what to do
    status = page.locator("#device-status")
    expect(status).to_have_class(re.compile(r"\bfault\b"))
    expect(status).to_contain_text("drukarka fiskalna: Drukarce fiskalnej skończył się papier. Co zrobić: "
                                   "Załóż nową rolkę papieru; drukarka sama wznowi pracę.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fiscal-fault.png"))

    # Retry before the paper is in: still the fault, said so
    page.keyboard.press("F7")
    expect(page.locator("#fault-result")).to_have_text("Nadal się nie udało: zobacz powyżej, co zrobić.")
    expect(panel).to_have_attribute("data-code", "paper_out")

    fiscal.fix_mechanism()  # the cashier loads the paper
    page.keyboard.press("F7")
    expect(panel).to_have_attribute("data-state", "ok")
    expect(page.locator("#fault-title")).to_have_text("Usterka usunięta")
    expect(page.locator("#fault-result")).to_have_text("Paragon fiskalny potwierdzony: nr 1")
    expect(page.locator("#fault-retry")).to_be_hidden()
    expect(status).not_to_have_class(re.compile(r"\bfault\b"))
    page.screenshot(path=str(ARTIFACTS / "fiscal-fault-cleared.png"))
    assert api.get(f"/api/v1/sales/{sale_id}").json()["fiscal_status"] == "confirmed"
    assert [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]] == [system_number(sale_id)]

    # the next sale starts clean
    wedge_scan(page, item["barcodes"][0])
    expect(panel).to_be_hidden()


def test_a_sale_the_printer_refuses_is_voided_from_the_fault_panel_with_a_manager_pin(page, live_store, hub,
                                                                                       tmp_path):
    # ERR_LINE: the printer will never take this sale
    api, _, _ = pay_with_a_fiscal_fault(page, live_store, tmp_path, "refuse", on="trline", error=2055)
    panel = page.locator("#device-fault")
    expect(panel).to_have_attribute("data-code", "bad_line")
    expect(page.locator("#fault-void")).to_be_visible()
    expect(page.locator("#fault-handled")).to_be_visible()
    sale_id = page.locator("#receipt").get_attribute("data-sale-id")
    receipt_number = api.get(f"/api/v1/sales/{sale_id}").json()["receipt_number"]

    # later (the page reloaded, the panel gone) the status bar still offers the way out
    page.reload()
    stuck = page.locator("#stuck-sale")
    expect(stuck).to_have_text(f"Paragon nr {receipt_number} czeka na drukarkę fiskalną: rozwiąż")
    stuck.click()
    expect(panel).to_have_attribute("data-code", "bad_line")
    page.locator("#fault-void").click()
    expect(page.locator("#fault-resolve")).to_be_visible()
    expect(page.locator("#resolve-number")).to_be_hidden()  # a voided sale has no fiscal number
    page.locator("#resolve-reason").fill("klient zrezygnował, zwrot gotówki")
    page.locator("#resolve-login").fill("boss")
    page.locator("#resolve-pin").fill("0000")
    page.locator("#resolve-confirm").click()
    expect(page.locator("#fault-result")).to_contain_text("PIN")
    expect(panel).to_have_attribute("aria-busy", "false")
    expect(panel).to_have_attribute("data-state", "fault")  # a wrong PIN changes nothing
    assert api.get(f"/api/v1/sales/{sale_id}").json()["fiscal_status"] == "failed"
    page.locator("#resolve-pin").fill("9999")
    page.locator("#resolve-confirm").click()
    expect(panel).to_have_attribute("data-state", "ok")
    expect(page.locator("#fault-result")).to_have_text("Kierownik anulował paragon fiskalny.")
    expect(page.locator("#fault-resolve")).to_be_hidden()
    assert api.get(f"/api/v1/sales/{sale_id}").json()["fiscal_status"] == "voided"
    assert fiscal_memory(tmp_path)["receipts"] == []
    expect(stuck).to_be_hidden()


def test_a_serial_scanners_codes_appear_on_the_page_without_typing(page, live_store, hub, tmp_path):
    configure_terminal(live_store.app, **emulator_urls(tmp_path, scanner=True))
    api = live_store.api()
    item = product(api, "SKU-000003")
    log_in_and_open_shift(page, live_store.url)
    expect(page.locator("body")).to_have_attribute("data-events", "open")
    scanner = station(live_store.app).device("scanner", force=True)
    rows = page.locator("#lines-body tr")

    scanner.inject(item["barcodes"][0])
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("data-sku", "SKU-000003")
    expect(page.locator("#message")).to_have_text(f"Zeskanowano: {item['name']}")
    scanner.inject(item["barcodes"][0])
    expect(rows.nth(0).locator("td.qty")).to_have_text("2")
    expect(page.locator("#total")).to_have_text(money_text(2 * item["price"]["amount"]))

    unknown = with_check_digit("590000099999")
    scanner.inject(unknown)
    expect(page.locator("#error-text")).to_have_text(f"Skaner: Nieznany kod {unknown}")
    expect(rows).to_have_count(1)
    # the page shows the basket the node keeps: the same one, with the same lines
    basket_id = rows.nth(0).evaluate("() => sessionStorage.getItem('pos.basket')")
    basket = api.get(f"/api/v1/baskets/{basket_id}").json()
    assert [(line["sku"], line["quantity"]) for line in basket["lines"]] == [("SKU-000003", 2)]

    # logging out closes the stream
    page.locator("#logout").click()
    expect(page.locator("#login-screen")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-events", "closed")
