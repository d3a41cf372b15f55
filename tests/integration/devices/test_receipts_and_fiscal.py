"""A sale goes to the POSNET emulator exactly once and its receipt comes out of the virtual printer."""
from __future__ import annotations

import io
import uuid

import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from hardware.fiscal.posnet.driver import system_number
from pos.devices.models import FiscalRecord, PrintJob
from pos.sales.models import Sale, SaleLine
from tests.integration.devices.conftest import (count_rows, fiscal_emulator, fiscal_memory, sell, station)


def decoded(png: bytes) -> set[str]:
    return {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}


def test_a_checkout_is_fiscalised_and_its_printed_receipt_decodes_to_its_number(wired, cashier, tmp_path):
    response = sell(cashier, ["SKU-000000", "SKU-000001"])
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    assert sale["fiscal_status"] == "confirmed" and sale["fiscal_number"] == "1"
    assert "device_fault" not in sale
    picture = cashier.get(f"/api/v1/sales/{sale['id']}/receipt.png")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert f"R-T1-{sale['receipt_number']}" in decoded(picture.data)
    receipts = fiscal_memory(tmp_path)["receipts"]
    assert [r["reference"] for r in receipts] == [system_number(sale["id"])]
    assert receipts[0]["total"] == sale["total"]


def test_fiscal_memory_totals_per_vat_letter_equal_the_fiscalised_sales(wired, cashier, tmp_path):
    sold = [sell(cashier, ["SKU-000000", "SKU-000003"]),
            sell(cashier, ["SKU-000001", "SKU-000002", "SKU-000004"]),
            sell(cashier, ["SKU-000006"], payments=[{"method": "cash", "amount": 100000}])]
    assert [r.status_code for r in sold] == [201, 201, 201]
    assert all(r.get_json()["fiscal_status"] == "confirmed" for r in sold)
    with wired.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        expected = dict(uow.session.execute(
            select(SaleLine.vat_group, func.sum(SaleLine.amount)).join(Sale, Sale.id == SaleLine.sale_id)
            .where(Sale.fiscal_status == "confirmed").group_by(SaleLine.vat_group)).all())
    memory = fiscal_memory(tmp_path)
    assert memory["day_totals"] == {letter: int(amount) for letter, amount in expected.items()}
    assert sorted(r["reference"] for r in memory["receipts"]) == sorted(
        system_number(r.get_json()["id"]) for r in sold)
    # the cash sale opened the drawer, the card sales did not
    assert station(wired).devices["printer"].emulator.drawer_kicks == 1
    assert station(wired).devices["display"].lines[1].endswith(f"{sold[2].get_json()['change'] / 100:.2f}".replace(".", ","))


def test_paper_out_during_trend_keeps_the_sale_and_a_retry_confirms_it_once(wired, cashier, tmp_path):
    emulator = fiscal_emulator(wired)
    emulator.inject("paper_out", on="trend")
    response = sell(cashier)
    assert response.status_code == 201
    sale = response.get_json()
    assert sale["device_fault"]["code"] == "paper_out" and sale["device_fault"]["action"]
    assert sale["fiscal_status"] == "sending"  # the device holds the receipt: done or not is not known yet
    assert count_rows(wired, Sale, Sale.id == uuid.UUID(sale["id"])) == 1
    still = cashier.post(f"/api/v1/sales/{sale['id']}/fiscal/retry").get_json()
    assert still["fiscal_status"] == "sending" and still["device_fault"]["code"] == "paper_out"
    emulator.fix_mechanism()  # the cashier loads paper: the held receipt prints
    retried = cashier.post(f"/api/v1/sales/{sale['id']}/fiscal/retry")
    assert retried.status_code == 200
    assert retried.get_json()["fiscal_status"] == "confirmed" and retried.get_json()["device_fault"] is None
    references = [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]]
    assert references == [system_number(sale["id"])]


def test_power_loss_after_trend_is_settled_after_a_restart_without_a_second_receipt(wired, cashier, tmp_path, hub):
    emulator = fiscal_emulator(wired)
    emulator.stay_off_after_power_loss = True
    emulator.inject("power_loss", on="trend")
    sale = sell(cashier).get_json()
    assert sale["device_fault"]["code"] == "no_reply" and sale["fiscal_status"] == "sending"
    hub.close()  # the till restarts; the printer comes back on the same fiscal memory
    hub.start_up()  # start-up settles before anything new is sold
    assert cashier.get(f"/api/v1/sales/{sale['id']}").get_json()["fiscal_status"] == "confirmed"
    again = cashier.post(f"/api/v1/sales/{sale['id']}/fiscal/retry").get_json()
    assert again["fiscal_status"] == "confirmed"
    assert [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]] == [system_number(sale["id"])]


def test_no_reply_fails_the_receipt_and_the_next_sale_sends_it_first_in_order(wired, cashier, tmp_path):
    fiscal_emulator(wired).inject("no_reply", on="trline")
    first = sell(cashier).get_json()
    assert first["device_fault"]["code"] == "no_reply" and first["fiscal_status"] == "failed"
    with wired.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        record = uow.session.scalars(select(FiscalRecord).where(FiscalRecord.sale_id == uuid.UUID(first["id"]))).one()
        assert record.status == "failed" and record.last_error_code == "no_reply" and record.attempts == 1
    second = sell(cashier, ["SKU-000002"]).get_json()
    assert second["fiscal_status"] == "confirmed" and "device_fault" not in second
    assert cashier.get(f"/api/v1/sales/{first['id']}").get_json()["fiscal_status"] == "confirmed"
    references = [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]]
    assert references == [system_number(first["id"]), system_number(second["id"])]
    # a retry of a confirmed sale changes nothing on the device
    assert cashier.post(f"/api/v1/sales/{first['id']}/fiscal/retry").get_json()["fiscal_status"] == "confirmed"
    assert len(fiscal_memory(tmp_path)["receipts"]) == 2


def test_a_replayed_checkout_prints_and_fiscalises_nothing_more(wired, cashier, tmp_path):
    first = sell(cashier, key="pay-once")
    basket_sale = first.get_json()
    assert first.status_code == 201
    with wired.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        basket_id = uow.session.scalar(select(Sale.basket_id).where(Sale.id == uuid.UUID(basket_sale["id"])))
    replay = cashier.post(f"/api/v1/baskets/{basket_id}/checkout",
                          json={"payments": [{"method": "card", "amount": basket_sale["total"]}]},
                          headers={"Idempotency-Key": "pay-once"})
    assert replay.status_code == 200 and replay.get_json()["id"] == basket_sale["id"]
    assert len(fiscal_memory(tmp_path)["receipts"]) == 1
    assert count_rows(wired, PrintJob, PrintJob.sale_id == uuid.UUID(basket_sale["id"])) == 1


def test_sales_after_an_unanswered_receipt_queue_behind_it_and_go_out_in_order(wired, cashier, tmp_path):
    emulator = fiscal_emulator(wired)
    emulator.inject("paper_out", on="trend")
    held = sell(cashier).get_json()
    queued = sell(cashier, ["SKU-000002"]).get_json()
    assert queued["fiscal_status"] == "pending" and queued["device_fault"]["code"] == "paper_out"
    emulator.fix_mechanism()
    retried = cashier.post(f"/api/v1/sales/{queued['id']}/fiscal/retry").get_json()
    assert retried["fiscal_status"] == "confirmed"
    assert cashier.get(f"/api/v1/sales/{held['id']}").get_json()["fiscal_status"] == "confirmed"
    assert [r["reference"] for r in fiscal_memory(tmp_path)["receipts"]] == [system_number(held["id"]),
                                                                         system_number(queued["id"])]
    devices = cashier.get("/api/v1/devices").get_json()
    assert devices["fiscal_queue"] == 0
