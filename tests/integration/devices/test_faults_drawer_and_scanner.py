"""What the cashier sees when a device fails, the manager-only drawer, Czech receipts, the serial scanner."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from pos.devices.models import FiscalRecord, PrintJob
from pos.staff.models import AuditEntry
from tests.conftest import login, make_test_app, seed_store
from tests.integration.devices.conftest import (configure_terminal, count_rows, emulator_urls, fiscal_memory, sell,
                                                station)


def devices_by_name(api) -> dict:
    response = api.get("/api/v1/devices")
    assert response.status_code == 200
    return {item["name"]: item for item in response.get_json()["items"]}


def test_paper_out_shows_in_devices_keeps_the_sale_and_reprint_prints_the_receipt_then_copies(wired, cashier):
    printer = station(wired).device("printer", force=True)
    printer.emulator.set_paper("out")
    shown = devices_by_name(cashier)
    assert shown["printer"]["paper"] == "out"
    sale = sell(cashier).get_json()
    assert sale["fiscal_status"] == "confirmed"  # the fiscal printer has its own paper
    assert sale["device_fault"]["code"] == "paper_out" and sale["device_fault"]["action"]
    assert devices_by_name(cashier)["printer"]["error"]["code"] == "paper_out"
    assert cashier.get(f"/api/v1/sales/{sale['id']}/receipt.png").status_code == 404
    printer.emulator.set_paper("ok")
    first = cashier.post(f"/api/v1/sales/{sale['id']}/receipt/reprint").get_json()
    assert first == {"sale_id": sale["id"], "kind": "receipt", "printed": True, "device_fault": None}
    copy = cashier.post(f"/api/v1/sales/{sale['id']}/receipt/reprint").get_json()
    assert copy["kind"] == "receipt_copy" and copy["printed"]
    assert b"COPY" in printer.emulator.last_job.data or b"KOPIA" in printer.emulator.last_job.data
    assert cashier.get(f"/api/v1/sales/{sale['id']}/receipt.png").status_code == 200
    assert len(fiscal_memory_path_receipts(wired)) == 1  # reprints never fiscalise again
    assert devices_by_name(cashier)["printer"]["error"] is None


def fiscal_memory_path_receipts(app):
    return station(app).device("fiscal").emulator.memory.receipts


def test_drawer_opens_only_with_a_manager_and_is_audited(wired, cashier):
    refused = cashier.post("/api/v1/drawer/open", json={"reason": "change for the float"})
    assert refused.status_code == 403
    wrong = cashier.post("/api/v1/drawer/open", json={"approval": {"login": "boss", "pin": "0000"}, "reason": "x"})
    assert wrong.status_code == 401
    not_manager = cashier.post("/api/v1/drawer/open", json={"approval": {"login": "anna", "pin": "4321"}})
    assert not_manager.status_code == 403
    assert count_rows(wired, AuditEntry, AuditEntry.action == "drawer_open") == 0
    opened = cashier.post("/api/v1/drawer/open",
                          json={"approval": {"login": "boss", "pin": "9999"}, "reason": "change for the float"})
    assert opened.status_code == 200 and opened.get_json() == {"opened": True, "device_fault": None}
    assert station(wired).devices["printer"].emulator.drawer_kicks == 1
    with wired.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "drawer_open")).one()
        assert entry.subject == "change for the float" and entry.manager_id is not None


def test_a_vat_table_that_differs_from_the_store_blocks_fiscalising_but_not_selling(app, hub, client, tmp_path):
    memory = tmp_path / "fiscal-memory.json"
    memory.write_text(json.dumps({"vat_rates": {"A": 2200, "B": 800, "C": 500, "D": 0, "E": None, "F": "inactive",
                                                "G": "inactive"}, "receipt_counter": 0, "printout_counter": 0,
                                  "day_totals": {}, "day_receipts": 0, "cancelled": 0, "cancelled_total": 0,
                                  "daily_reports": [], "receipts": [], "unique_number": "ABC12345678"}))
    configure_terminal(app, **emulator_urls(tmp_path))
    api = login(client)
    api.post("/api/v1/shifts", json={"opening_float": 0})
    response = sell(api)
    assert response.status_code == 201
    sale = response.get_json()
    assert sale["fiscal_status"] == "pending" and sale["device_fault"]["code"] == "vat_mismatch"
    assert devices_by_name(api)["fiscal"]["state"] == "blocked"
    assert fiscal_memory(tmp_path)["receipts"] == []
    # a receipt that is not fiscal yet says so
    assert b"NON-FISCAL" in station(app).devices["printer"].emulator.last_job.data


def test_a_czech_store_records_not_fiscal_and_prints_the_non_fiscal_marker(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path, POS_COUNTRY="CZ")
    seed_store(app, pin_hashes)
    try:
        configure_terminal(app, **emulator_urls(tmp_path))  # a fiscal URL is ignored in Czechia
        api = login(app.test_client())
        api.post("/api/v1/shifts", json={"opening_float": 0})
        sale = sell(api).get_json()
        assert sale["fiscal_status"] == "not_fiscal" and sale["fiscal_number"] is None
        with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
            record = uow.session.scalars(select(FiscalRecord).where(FiscalRecord.sale_id == uuid.UUID(sale["id"]))).one()
            job = uow.session.scalars(select(PrintJob).where(PrintJob.sale_id == uuid.UUID(sale["id"]))).one()
        assert record.status == "not_fiscal" and job.printed and b"NON-FISCAL" in job.data
        assert not (tmp_path / "fiscal-memory.json").exists()
        assert devices_by_name(api)["fiscal"]["fiscal"] is False
    finally:
        app.extensions["pos.devices"].close()
        app.extensions["pos.db"].dispose()


def test_a_scanned_line_shows_on_the_display_with_the_running_total(wired, cashier):
    basket = cashier.post("/api/v1/baskets", json={}).get_json()["id"]
    cashier.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000000"})
    body = cashier.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000001"}).get_json()
    lines = station(wired).devices["display"].lines
    assert lines[0].startswith(body["lines"][-1]["name"][:5])
    assert lines[1].startswith("SUMA") and lines[1].endswith(f"{body['total'] / 100:.2f}".replace(".", ","))


def test_a_serial_scanner_adds_to_the_open_basket_and_tells_the_page(app, hub, client, tmp_path):
    configure_terminal(app, **emulator_urls(tmp_path, scanner=True))
    api = login(client)
    code = api.get("/api/v1/products?q=SKU-000003").get_json()["items"][0]["barcodes"][0]
    stream = client.get("/api/v1/terminals/T1/events")  # with login's cookie, as the page's EventSource
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    chunks = iter(stream.response)
    assert next(chunks).startswith(b"retry:")
    station(app).device("scanner", force=True).inject(code)
    event = next(chunks).decode("utf-8")
    stream.close()
    kind, data = event.split("\n")[:2]
    assert kind == "event: scan"
    basket = json.loads(data.removeprefix("data: "))["basket"]
    assert [line["sku"] for line in basket["lines"]] == ["SKU-000003"]
    assert api.get(f"/api/v1/baskets/{basket['id']}").get_json()["status"] == "open"
    other = client.get("/api/v1/terminals/T2/events")
    assert other.status_code == 403
