"""A Ukrainian till on the Checkbox emulator: near the law's offline limit the cashier's page warns in
Ukrainian, and at the limit the payment is refused with what to do, before anything is sold."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
from playwright.sync_api import expect

from hardware.fiscal.checkbox import OfflineBook
from pos.sales.models import Sale
from tests.conftest import make_test_app, seed_store
from tests.e2e.conftest import SCAN_GAP_MS, serving
from tests.e2e.test_cashier_page import log_in_and_open_shift, product, wedge_scan
from tests.integration.devices.conftest import configure_terminal, count_rows, station
from tests.integration.fiscal.checkbox_fixtures import LICENCE, PIN, running_emulator



@pytest.fixture
def emulator():
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def live_store(sqlite_template, tmp_path, pin_hashes, emulator, monkeypatch):
    """The e2e store node, in Ukraine, with T1's fiscal device on the Checkbox emulator."""
    monkeypatch.setenv("CHECKBOX_LICENSE_KEY", LICENCE)
    monkeypatch.setenv("CHECKBOX_CASHIER_PIN", PIN)
    path = tmp_path / "pos.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}", tmp_path, POS_SCAN_GAP_MS=SCAN_GAP_MS, POS_COUNTRY="UA",
                        POS_ALLOW_REAL_DEVICES=True)
    seed_store(app, pin_hashes)
    configure_terminal(app, fiscal_url=emulator.url.replace("http://", "checkbox+http://") +
                       "?timeout=0.5&settle=2&retry=0&codes=10", language="uk")
    with serving(app) as store:
        yield store
    app.extensions["pos.devices"].close()


def offline_for(app, tmp_path, hours: float) -> None:
    """The till restarts with its book saying it went offline ``hours`` ago."""
    app.extensions["pos.devices"].close()
    book = OfflineBook(tmp_path / "devices" / "T1" / "checkbox-offline.json")
    start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours)).isoformat()
    if book.session is None:
        book.start_session(dt.datetime.fromisoformat(start), "checkbox_unreachable")
    book.data["sessions"][-1]["start"] = start
    book.save()


def pay(page, code: str) -> None:
    wedge_scan(page, code)
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.keyboard.press("F4")
    expect(page.locator("#payment-dialog")).to_be_visible()
    page.keyboard.press("Enter")


def test_the_page_warns_near_the_offline_limit_and_refuses_payment_at_it(page, live_store, emulator, tmp_path):
    api = live_store.api()
    bread = product(api, "SKU-000000")
    log_in_and_open_shift(page, live_store.url)
    pay(page, bread["barcodes"][0])  # online: opens the PRRO, stocks the offline codes
    expect(page.locator("#payment-dialog")).to_be_hidden()
    assert len(emulator.fiscal_receipts()) == 1

    emulator.go_down()
    offline_for(live_store.app, tmp_path, 32)
    pay(page, bread["barcodes"][0])
    expect(page.locator("#payment-dialog")).to_be_hidden()
    expect(page.locator("#message")).to_contain_text("Каса офлайн: залишилось 4 год")
    status = page.locator("#device-status")
    expect(status).to_have_class("warn")
    expect(status).to_contain_text("Каса офлайн")

    offline_for(live_store.app, tmp_path, 36)
    station(live_store.app).device("fiscal", force=True)  # opened at start-up in production
    sold = count_rows(live_store.app, Sale)
    pay(page, bread["barcodes"][0])
    expect(page.locator("#payment-dialog .inline-error")).to_contain_text("36 годин")
    expect(page.locator("#payment-dialog")).to_be_visible()
    assert count_rows(live_store.app, Sale) == sold  # nothing sold that could not be fiscalised
