"""A till whose receipt printer is on USB and cannot be opened: the cashier reads why and what to do in the
page's language (the driver's words are English), never that the fiscal printer's address is wrong."""
from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from tests.conftest import make_test_app, seed_store
from tests.e2e.conftest import ARTIFACTS, SCAN_GAP_MS, serving
from tests.e2e.test_cashier_page import log_in_and_open_shift, product, wedge_scan
from tests.integration.devices.conftest import configure_terminal
from tests.integration.devices.test_usb_printer import usb_lookup_here

# The page's words for each answer a real lookup can give on the machine running the test.
POLISH = {"usb_device_not_found": ("Drukarka paragonów na USB nie jest podłączona do tej kasy.",
                                   "Włącz drukarkę i podłącz jej kabel USB, potem naciśnij Ponów."),
          "libusb_missing": ("Ta kasa nie obsłuży drukarki paragonów na USB: brakuje biblioteki libusb.",
                             "Poproś serwis o zainstalowanie libusb, potem naciśnij Ponów.")}


@pytest.fixture
def usb_store(sqlite_template, tmp_path, pin_hashes):
    path = tmp_path / "pos.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}", tmp_path, POS_SCAN_GAP_MS=SCAN_GAP_MS, POS_ALLOW_REAL_DEVICES=True)
    seed_store(app, pin_hashes)
    configure_terminal(app, printer_url="usb://04b8:0202?profile=TM-T88V")  # no such printer is attached here
    with serving(app) as store:
        yield store
    app.extensions["pos.devices"].close()


def test_a_usb_printer_that_is_not_there_is_explained_in_the_tills_language(browser, usb_store):
    expected = usb_lookup_here()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        log_in_and_open_shift(page, usb_store.url)
        item = product(usb_store.api(), "SKU-000002")
        wedge_scan(page, item["barcodes"][0])
        expect(page.locator("#lines-body tr")).to_have_count(1)
        page.keyboard.press("F4")
        expect(page.locator("#payment-dialog")).to_be_visible()
        page.keyboard.press("Enter")
        panel = page.locator("#device-fault")
        expect(panel).to_be_visible()
        expect(panel).to_have_attribute("data-code", expected)
        message, action = POLISH[expected]
        expect(page.locator("#fault-message")).to_have_text(message)
        expect(page.locator("#fault-action")).to_have_text(action)
        page.screenshot(path=str(ARTIFACTS / "usb-printer-missing-pl.png"))
    finally:
        context.close()
