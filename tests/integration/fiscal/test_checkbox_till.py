"""A Ukrainian till on Checkbox end to end: checkout → Checkbox receipt → printed receipt whose QR code is
the tax service's check link; offline limits shown in the device list and enforced before payment."""
from __future__ import annotations

import datetime as dt
import io
import pytest
import zxingcpp
from PIL import Image

from hardware.fiscal.checkbox import OfflineBook
from pos.sales.models import Sale
from tests.conftest import login, make_test_app, seed_store
from tests.integration.devices.conftest import configure_terminal, count_rows, sell
from tests.integration.fiscal.checkbox_fixtures import LICENCE, PIN, running_emulator


@pytest.fixture
def emulator():
    with running_emulator() as emulator:  # on the real clock: the till's is not steerable through the app
        yield emulator


@pytest.fixture
def ua_app(database_url, tmp_path, pin_hashes, emulator, monkeypatch):
    monkeypatch.setenv("CHECKBOX_LICENSE_KEY", LICENCE)
    monkeypatch.setenv("CHECKBOX_CASHIER_PIN", PIN)
    # a Checkbox address is a real service as far as the till knows: real devices must be allowed
    app = make_test_app(database_url, tmp_path, POS_COUNTRY="UA", POS_ALLOW_REAL_DEVICES=True)
    seed_store(app, pin_hashes)
    fiscal = emulator.url.replace("http://", "checkbox+http://") + "?timeout=0.5&settle=2&retry=0&codes=10"
    configure_terminal(app, printer_url=f"emulator://printer?dir={tmp_path / 'printer'}", fiscal_url=fiscal,
                       language="uk")
    yield app
    app.extensions["pos.devices"].close()
    app.extensions["pos.db"].dispose()


@pytest.fixture
def cashier(ua_app):
    api = login(ua_app.test_client())
    assert api.post("/api/v1/shifts", json={"opening_float": 20000}).status_code == 201
    return api


def decoded(png: bytes) -> set[str]:
    return {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}


def fiscal_item(api) -> dict:
    listing = api.get("/api/v1/devices?lang=uk").get_json()
    return next(item for item in listing["items"] if item["name"] == "fiscal")


def book_path(tmp_path):
    return tmp_path / "devices" / "T1" / "checkbox-offline.json"


def test_a_ukrainian_sale_is_fiscalised_by_checkbox_and_its_receipt_qr_is_the_check_link(ua_app, cashier,
                                                                                          emulator):
    response = sell(cashier, ["SKU-000000", "SKU-000001"])
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    receipt = emulator.receipts[sale["id"]]
    assert sale["fiscal_status"] == "confirmed" and sale["fiscal_number"] == receipt["fiscal_code"]
    assert receipt["total_sum"] == sale["total"]
    picture = cashier.get(f"/api/v1/sales/{sale['id']}/receipt.png")
    assert picture.status_code == 200
    codes = decoded(picture.data)
    assert receipt["tax_url"] in codes and f"R-T1-{sale['receipt_number']}" in codes
    assert f"id={receipt['fiscal_code']}" in receipt["tax_url"]
    item = fiscal_item(cashier)
    assert item["offline"]["state"] == "online" and item["offline"]["codes_left"] == 10
    assert LICENCE not in str(item) and PIN not in str(item)


def test_offline_sales_print_their_reserved_code_and_check_link_and_reach_checkbox_once(ua_app, cashier,
                                                                                         emulator):
    assert sell(cashier).status_code == 201  # opens the PRRO and stocks codes
    emulator.go_down()
    offline = sell(cashier, ["SKU-000002"]).get_json()
    assert offline["fiscal_status"] == "confirmed" and offline["fiscal_number"] not in (None, "")
    codes = decoded(cashier.get(f"/api/v1/sales/{offline['id']}/receipt.png").data)
    check = next(code for code in codes if code.startswith("https://cabinet.tax.gov.ua/"))
    assert f"id={offline['fiscal_number']}" in check
    assert fiscal_item(cashier)["offline"]["receipts_waiting"] == 1
    emulator.come_back()
    assert sell(cashier, ["SKU-000003"]).get_json()["fiscal_status"] == "confirmed"
    assert [r["id"] for r in emulator.fiscal_receipts()].count(offline["id"]) == 1
    assert fiscal_item(cashier)["offline"]["state"] == "online"


def start_offline_session(tmp_path, hours_ago: float) -> None:
    """The till's own book as a till that went offline ``hours_ago`` would have written it."""
    book = OfflineBook(book_path(tmp_path))
    book.start_session(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours_ago), "checkbox_unreachable")


def test_near_the_session_limit_the_cashier_is_warned_and_at_it_checkout_is_refused(ua_app, cashier, emulator,
                                                                                     tmp_path):
    assert sell(cashier).status_code == 201
    emulator.go_down()
    hub = ua_app.extensions["pos.devices"]
    hub.close()  # the till restarts: its book says it has been offline for 32 hours
    start_offline_session(tmp_path, 32)
    warned = sell(cashier, ["SKU-000002"])
    assert warned.status_code == 201 and warned.get_json()["fiscal_status"] == "confirmed"
    warning = warned.get_json()["fiscal_warning"]
    assert warning["state"] == "warning" and warning["limit"] == "session"
    assert warning["message"].startswith("Каса офлайн: залишилось 4 год")  # the till's language: Ukrainian
    item = fiscal_item(cashier)
    assert 3.9 < item["offline"]["session_hours_left"] <= 4 and item["offline"]["session_hours_used"] >= 32
    assert item["offline_notice"]["message"].startswith("Каса офлайн")

    hub.close()
    book = OfflineBook(book_path(tmp_path))  # 36 hours later, as far as the book can tell
    book.data["sessions"][-1]["start"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=36)).isoformat()
    book.save()
    sell(cashier, ["SKU-000004"])  # opens the PRRO again (this sale itself is refused by the driver)
    before = count_rows(ua_app, Sale)
    basket = cashier.post("/api/v1/baskets", json={}).get_json()["id"]
    cashier.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000005"})
    total = cashier.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    refused = cashier.post(f"/api/v1/baskets/{basket}/checkout?lang=uk",
                           json={"payments": [{"method": "card", "amount": total}]})
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"].endswith("/fiscal-sales-stopped") and "36" in problem["detail"]
    assert problem["title"] == "Фіскальні продажі зупинено" and problem["offline"]["state"] == "refused"
    assert count_rows(ua_app, Sale) == before  # nothing was sold that could not be fiscalised
    english = cashier.post(f"/api/v1/baskets/{basket}/checkout?lang=en",
                           json={"payments": [{"method": "card", "amount": total}]})
    assert english.get_json()["title"] == "Fiscal sales stopped"
    assert "36 hours" in english.get_json()["detail"] and "restore the internet" in english.get_json()["detail"]


def test_the_day_report_closes_the_checkbox_shift_with_its_z_report(ua_app, cashier, emulator):
    sold = [sell(cashier, ["SKU-000000", "SKU-000001"]).get_json(), sell(cashier, ["SKU-000002"]).get_json()]
    assert [s["fiscal_status"] for s in sold] == ["confirmed", "confirmed"]
    assert cashier.post("/api/v1/shifts/current/close", json={"counted_cash": 0}).status_code == 200
    response = cashier.post("/api/v1/day-reports")
    assert response.status_code == 201, response.get_json()
    fiscal = response.get_json()["fiscal_daily_report"]
    assert fiscal["status"] == "confirmed" and fiscal["number"] == 1
    assert sum(fiscal["totals_by_vat"].values()) == sum(s["total"] for s in sold)
    assert [s["status"] for s in emulator.shifts.values()] == ["CLOSED"]
    assert emulator.tax_service[-1]["kind"] == "z_report"


BOSS = {"login": "boss", "pin": "9999"}


def test_a_return_is_fiscalised_as_a_checkbox_return_receipt_once_even_after_a_lost_answer(ua_app, cashier,
                                                                                            emulator):
    sale = sell(cashier, ["SKU-000000", "SKU-000001"]).get_json()
    line = sale["lines"][0]
    emulator.lose_answer(on="receipts/sell")
    returned = cashier.post("/api/v1/returns", json={"sale_id": sale["id"], "approval": BOSS,
                                                     "lines": [{"sale_line_id": line["id"], "quantity": 1}]})
    assert returned.status_code == 201, returned.get_json()
    body = returned.get_json()
    fiscal = body["fiscal"]
    receipt = emulator.receipts[body["id"]]
    assert fiscal["fiscal_status"] == "confirmed" and fiscal["fiscal_number"] == receipt["fiscal_code"]
    assert receipt["type"] == "RETURN" and receipt["related_receipt_id"] == sale["id"]
    assert receipt["total_sum"] == body["total"] and fiscal["check_url"] == receipt["tax_url"]
    retried = cashier.post(f"/api/v1/returns/{body['id']}/fiscal/retry")
    assert retried.status_code == 200 and retried.get_json()["fiscal_number"] == fiscal["fiscal_number"]
    assert [r["type"] for r in emulator.fiscal_receipts()] == ["SELL", "RETURN"]
    assert emulator.requests_seen.count("POST receipts/sell") == 2  # the sale and the return, each once


def test_a_return_refused_at_the_offline_limit_writes_nothing(ua_app, cashier, emulator, tmp_path):
    from pos.returns.models import Return

    sale = sell(cashier).get_json()
    emulator.go_down()
    ua_app.extensions["pos.devices"].close()
    start_offline_session(tmp_path, 36)
    sell(cashier, ["SKU-000002"])  # opens the PRRO again on its book
    refused = cashier.post("/api/v1/returns?lang=uk", json={"sale_id": sale["id"], "approval": BOSS,
                                                            "lines": [{"sale_line_id": sale["lines"][0]["id"],
                                                                       "quantity": 1}]})
    assert refused.status_code == 409 and refused.get_json()["title"] == "Фіскальні продажі зупинено"
    assert count_rows(ua_app, Return) == 0


def test_a_licence_key_written_into_the_terminals_address_is_never_shown(ua_app, cashier, emulator, monkeypatch):
    monkeypatch.delenv("CHECKBOX_LICENSE_KEY")
    configure_terminal(ua_app, fiscal_url=emulator.url.replace("http://", "checkbox+http://") +
                       f"?license={LICENCE}&timeout=0.5&retry=0")
    listed = cashier.get("/api/v1/devices").get_json()  # not opened yet: the address as configured, masked
    assert LICENCE not in str(listed) and "license=***" in fiscal_item(cashier)["url"]
    assert sell(cashier).get_json()["fiscal_status"] == "confirmed"  # the key itself works
    assert LICENCE not in str(cashier.get("/api/v1/devices").get_json())


def test_a_quiet_till_sends_its_offline_receipts_on_request(ua_app, cashier, emulator):
    assert sell(cashier).status_code == 201
    emulator.go_down()
    offline = sell(cashier, ["SKU-000002"]).get_json()
    emulator.come_back()
    sent = cashier.post("/api/v1/devices/fiscal/offline/send")
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["state"] == "online" and sent.get_json()["receipts_waiting"] == 0
    assert [r["id"] for r in emulator.fiscal_receipts()].count(offline["id"]) == 1
    again = cashier.post("/api/v1/devices/fiscal/offline/send")
    assert again.get_json()["state"] == "online"
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 1
