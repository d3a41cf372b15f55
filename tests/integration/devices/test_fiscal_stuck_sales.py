"""The till and its POSNET printer (the emulator over TCP) through what a shop floor does: a power cut,
names in any language, a basket discount, a stuck sale and its way out before the daily report."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select, update

from hardware.fiscal.posnet.driver import printed_totals, system_number
from hardware.transliteration import ukrainian_to_latin
from pos.catalogue.models import Product
from pos.devices.documents import fiscal_receipt
from pos.devices.services import load_sale
from pos.staff.models import AuditEntry
from tests.integration.devices.conftest import configure_terminal, fiscal_emulator, fiscal_memory, sell
from tests.integration.devices.test_fiscal_day_report import close_day

MANAGER = {"login": "boss", "pin": "9999"}


@pytest.fixture
def tcp_till(app, hub, tmp_path, client):
    """T1 with a POSNET printer on TCP (a LAN printer: a power cut resets the connection)."""
    configure_terminal(app, printer_url=f"emulator://printer?dir={tmp_path / 'printer'}",
                       fiscal_url=f"emulator://posnet?memory={tmp_path / 'fiscal-memory.json'}&transport=tcp"
                                  "&timeout=0.3&settle=1")
    hub.reconnect_max = 0.5  # the reconnect pauses grow to this (30 s in a shop)
    from tests.conftest import login
    api = login(client)
    assert api.post("/api/v1/shifts", json={"opening_float": 20000}).status_code == 201
    return api


def fiscal_item(api) -> dict:
    devices = api.get("/api/v1/devices").get_json()
    return {**next(item for item in devices["items"] if item["name"] == "fiscal"),
            "fiscal_waiting": devices["fiscal_waiting"]}


def wait_for(condition, what: str, seconds: float = 60):
    """Polls until ``condition()`` holds: a guard against hanging, not a measure of speed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def test_after_a_power_cut_the_till_says_offline_and_prints_the_queue_once_when_it_is_back(app, tcp_till, tmp_path):
    api = tcp_till
    first = sell(api).get_json()
    assert first["fiscal_status"] == "confirmed"
    emulator = fiscal_emulator(app)
    emulator.power_off()
    waiting = []
    for sku in ("SKU-000000", "SKU-000001", "SKU-000002", "SKU-000003", "SKU-000004", "SKU-000006"):
        response = sell(api, [sku])
        assert response.status_code == 201
        sale = response.get_json()
        assert sale["device_fault"]["code"] in ("offline", "no_reply"), sale["device_fault"]
        assert sale["fiscal_status"] != "confirmed"
        waiting.append(sale)
    item = fiscal_item(api)
    assert item["state"] == "offline" and item["offline_since"] and item["error"]["code"] in ("offline", "no_reply")
    assert item["waiting"] == item["fiscal_waiting"] == 6
    retried = api.post(f"/api/v1/sales/{waiting[-1]['id']}/fiscal/retry")
    assert retried.status_code == 200  # never a 5xx
    assert retried.get_json()["device_fault"]["code"] in ("offline", "no_reply")

    emulator.power_on()  # nobody presses anything: the till reconnects by itself
    wait_for(lambda: fiscal_item(api)["fiscal_waiting"] == 0, "the queue printed after the printer came back")
    item = fiscal_item(api)
    assert item["state"] == "idle" and item["offline_since"] is None and item["error"] is None
    references = [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]]
    assert references == [system_number(s["id"]) for s in [first, *waiting]]  # each once, in order
    for sale in waiting:
        assert api.get(f"/api/v1/sales/{sale['id']}").get_json()["fiscal_status"] == "confirmed"


def rename(app, sku: str, name: str, price: int | None = None) -> None:
    values = {"name": name, **({"price": price} if price is not None else {})}
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Product).where(Product.sku == sku).values(**values))
        uow.commit()


def test_ukrainian_and_czech_names_are_fiscalised_transliterated(app, tcp_till, tmp_path):
    api = tcp_till
    rename(app, "SKU-000001", "Pivo „Plzeň“ – řezané\n")
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    weighed = api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000005", "quantity": 352})
    assert weighed.status_code == 201, weighed.get_json()
    ukrainian = weighed.get_json()["lines"][0]["name"]  # the demo's weighed goods are named in Ukrainian
    assert api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000001"}).status_code == 201
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    sale = api.post(f"/api/v1/baskets/{basket}/checkout",
                    json={"payments": [{"method": "card", "amount": total}]}).get_json()
    assert sale["fiscal_status"] == "confirmed" and "device_fault" not in sale
    printed = [line["name"] for line in fiscal_memory(tmp_path)["receipts"][0]["lines"]]
    assert printed[0] == ukrainian_to_latin(ukrainian) and "?" not in printed[0] and printed[0].isascii()
    assert printed[1] == 'Pivo "Plzen" - rezane'


def test_a_basket_discount_is_a_bill_discount_on_the_fiscal_receipt(app, tcp_till, tmp_path):
    api = tcp_till
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    for sku in ("SKU-000000", "SKU-000003", "SKU-000004"):
        assert api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku}).status_code == 201
    assert api.put(f"/api/v1/baskets/{basket}/discount", json={"percent": 5}).status_code == 200
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    sale = api.post(f"/api/v1/baskets/{basket}/checkout",
                    json={"payments": [{"method": "card", "amount": total}]}).get_json()
    assert sale["fiscal_status"] == "confirmed" and sale["discount_total"] > 0
    recorded = fiscal_memory(tmp_path)["receipts"][0]
    assert [line["discount"] for line in recorded["lines"]] == [0, 0, 0]
    assert recorded["total"] == sale["total"]
    receipt = fiscal_receipt(sale, "", load_sale(app.extensions["pos.db"], uuid.UUID(sale["id"])).line_discounts)
    assert receipt.discount == sale["discount_total"]
    assert recorded["totals_by_vat"] == printed_totals(receipt)


def test_the_till_refuses_before_payment_a_receipt_above_the_printer_s_maximum(app, tcp_till, tmp_path):
    api = tcp_till
    assert sell(api).get_json()["fiscal_status"] == "confirmed"  # the printer is open and known
    rename(app, "SKU-000002", "Koparka", price=60_000_000)  # 600 000,00 zł; two are above 999 999,99
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    line = api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000002"}).get_json()["lines"][0]
    assert api.patch(f"/api/v1/baskets/{basket}/lines/{line['id']}", json={"quantity": 2}).status_code == 200
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    refused = api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "card", "amount": total}]})
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["invalid_params"][0]["name"] == "basket_id" and problem["device_fault"]["code"] == "amount_too_large"
    assert api.get(f"/api/v1/baskets/{basket}").get_json()["status"] == "open"  # nothing paid, nothing kept
    assert len(fiscal_memory(tmp_path)["receipts"]) == 1


def test_a_stuck_sale_has_a_way_out_and_then_the_daily_report_runs(app, tcp_till, tmp_path):
    api = tcp_till
    emulator = fiscal_emulator(app)
    emulator.inject("refuse", on="trline", error=2055)  # ERR_LINE: data the printer will never take
    stuck = sell(api).get_json()
    assert stuck["fiscal_status"] == "failed" and stuck["device_fault"]["code"] == "bad_line"
    emulator.inject("refuse", on="trline", error=2055)
    other = sell(api, ["SKU-000002"]).get_json()
    assert other["fiscal_status"] == "failed"

    body = close_day(api).get_json()
    fault = body["device_fault"]
    assert body["fiscal_daily_report"]["status"] == "refused" and fault["code"] == "fiscal_sale_pending"
    named = {sale["sale_id"]: sale for sale in fault["sales"]}
    assert set(named) == {stuck["id"], other["id"]}
    assert set(named[stuck["id"]]["ways_out"]) == {"retry", "void", "handled"}
    assert named[stuck["id"]]["last_error"]["code"] == "bad_line"
    assert "void" in fault["action"] and "handled" in fault["action"] and "manager PIN" in fault["action"]

    path = f"/api/v1/sales/{stuck['id']}/fiscal/resolve"
    assert api.post(path, json={"action": "void", "reason": "refunded"}).status_code == 403  # no approval
    wrong = api.post(path, json={"action": "void", "reason": "refunded", "approval": {"login": "boss", "pin": "0000"}})
    assert wrong.status_code in (401, 403)
    bad = api.post(path, json={"action": "forget", "reason": "x", "approval": MANAGER})
    assert bad.status_code == 422
    voided = api.post(path, json={"action": "void", "reason": "refunded in cash", "approval": MANAGER})
    assert voided.status_code == 200, voided.get_json()
    assert voided.get_json()["fiscal_status"] == "voided"
    again = api.post(path, json={"action": "handled", "reason": "again", "approval": MANAGER})
    assert again.status_code == 409
    handled = api.post(f"/api/v1/sales/{other['id']}/fiscal/resolve",
                       json={"action": "handled", "reason": "rung up on the printer's keypad", "fiscal_number": "77",
                             "approval": MANAGER})
    assert handled.status_code == 200 and handled.get_json()["fiscal_number"] == "77"
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audited = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("fiscal_%"))).all()
    assert sorted(audited) == ["fiscal_handled", "fiscal_void"]

    retried = api.post(f"/api/v1/day-reports/{body['id']}/fiscal")
    assert retried.status_code == 200
    outcome = retried.get_json()["fiscal_daily_report"]
    assert outcome["status"] == "confirmed", outcome
    assert fiscal_memory(tmp_path)["receipts"] == []  # neither was printed by the till
    assert api.get(f"/api/v1/sales/{stuck['id']}").get_json()["fiscal_status"] == "voided"


def test_an_unknown_code_page_in_the_printer_s_address_is_a_configuration_error_naming_it(app, hub, tmp_path, client):
    configure_terminal(app, fiscal_url=f"emulator://posnet?memory={tmp_path / 'fm.json'}&encoding=klingon")
    from tests.conftest import login
    api = login(client)
    assert api.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
    sale = sell(api)
    assert sale.status_code == 201 and sale.get_json()["device_fault"]["code"] == "bad_configuration"
    item = fiscal_item(api)
    assert item["state"] == "error" and item["error"]["code"] == "bad_configuration"
    assert "'klingon'" in item["error"]["message"] and "mazovia" in item["error"]["action"]


def test_a_sale_with_a_totals_mismatch_leaves_the_queue_and_later_sales_go_on(app, tcp_till, tmp_path):
    api = tcp_till
    emulator = fiscal_emulator(app)
    emulator.inject("refuse", on="trend", error=2805)  # ERR_ENDTOT_VERIFY
    refused = sell(api).get_json()
    fault = refused["device_fault"]
    assert fault["code"] == "total_mismatch" and fault["details"]["till_total"] == refused["total"]
    assert fault["details"]["printer_total"] == refused["total"]  # the emulator refused on request, not by sums
    later = sell(api, ["SKU-000002"]).get_json()
    assert later["fiscal_status"] == "confirmed" and "device_fault" not in later
    assert [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]] == [system_number(later["id"])]


def test_the_till_refuses_before_payment_a_name_the_printer_cannot_print(app, tcp_till, tmp_path):
    api = tcp_till
    assert sell(api).get_json()["fiscal_status"] == "confirmed"
    rename(app, "SKU-000002", "\u200b\n\t")  # nothing printable in any code page
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    assert api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000002"}).status_code == 201
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    refused = api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "card", "amount": total}]})
    assert refused.status_code == 422 and refused.get_json()["device_fault"]["code"] == "name_not_printable"
    assert api.get(f"/api/v1/baskets/{basket}").get_json()["status"] == "open"
