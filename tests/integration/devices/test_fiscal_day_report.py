"""The day report runs the fiscal printer's own daily report once every sale of the till is settled with it."""
from __future__ import annotations

import datetime as dt
import uuid

from hardware.fiscal.posnet.driver import system_number
from sqlalchemy import func, select

from pos.sales.models import Sale, SaleLine
from pos.shifts.models import DayReport
from tests.conftest import login
from tests.integration.devices.conftest import fiscal_emulator, fiscal_memory, sell


def fiscalised_totals(app) -> dict[str, int]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return {group: int(amount) for group, amount in uow.session.execute(
            select(SaleLine.vat_group, func.sum(SaleLine.amount)).join(Sale, Sale.id == SaleLine.sale_id)
            .where(Sale.fiscal_status == "confirmed").group_by(SaleLine.vat_group)).all()}


def kept_outcome(app, report_id: str) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.get(DayReport, uuid.UUID(report_id)).totals["fiscal_daily_report"]


def close_day(api):
    assert api.post("/api/v1/shifts/current/close", json={"counted_cash": 0}).status_code == 200
    return api.post("/api/v1/day-reports")


def test_the_day_report_runs_the_fiscal_daily_report_with_the_days_fiscalised_totals(wired, cashier, tmp_path):
    sold = [sell(cashier, ["SKU-000000", "SKU-000003"]), sell(cashier, ["SKU-000001", "SKU-000004"]),
            sell(cashier, ["SKU-000006"], payments=[{"method": "cash", "amount": 100000}])]
    assert [s.get_json()["fiscal_status"] for s in sold] == ["confirmed"] * 3
    response = close_day(cashier)
    assert response.status_code == 201
    body = response.get_json()
    assert "device_fault" not in body
    memory = fiscal_memory(tmp_path)
    assert len(memory["daily_reports"]) == 1
    printed = memory["daily_reports"][0]
    assert printed["totals_by_vat"] == fiscalised_totals(wired) and printed["receipts"] == 3
    assert memory["day_totals"] == {}  # the fiscal day is closed
    outcome = body["fiscal_daily_report"]
    assert outcome["status"] == "confirmed" and outcome["number"] == printed["number"] == 1
    assert outcome["totals_by_vat"] == printed["totals_by_vat"]
    assert kept_outcome(wired, body["id"])["number"] == 1
    # done is done: the fiscal report of a day is never run twice
    assert cashier.post(f"/api/v1/day-reports/{body['id']}/fiscal").status_code == 409


def test_a_sale_still_held_by_the_printer_blocks_the_fiscal_daily_report_until_it_is_settled(wired, cashier, tmp_path):
    emulator = fiscal_emulator(wired)
    emulator.inject("paper_out", on="trend")
    held = sell(cashier).get_json()
    assert held["fiscal_status"] == "sending"
    response = close_day(cashier)
    assert response.status_code == 201  # the app's Z report stands
    body = response.get_json()
    assert body["number"] == 1
    fault = body["device_fault"]
    assert fault["code"] == "fiscal_sale_pending" and fault["sale_id"] == held["id"]
    assert f"receipt no. {held['receipt_number']}" in fault["message"] and "pending sale" in fault["action"]
    assert body["fiscal_daily_report"]["status"] == "refused"
    assert kept_outcome(wired, body["id"])["status"] == "refused"
    assert fiscal_memory(tmp_path)["daily_reports"] == []

    emulator.fix_mechanism()  # paper loaded: the held receipt prints
    retried = cashier.post(f"/api/v1/day-reports/{body['id']}/fiscal")
    assert retried.status_code == 200
    outcome = retried.get_json()["fiscal_daily_report"]
    assert outcome["status"] == "confirmed" and outcome["number"] == 1
    memory = fiscal_memory(tmp_path)
    assert [r["reference"] for r in memory["receipts"]] == [system_number(held["id"])]
    assert memory["daily_reports"][0]["totals_by_vat"] == fiscalised_totals(wired)
    assert cashier.get(f"/api/v1/sales/{held['id']}").get_json()["fiscal_status"] == "confirmed"
    assert kept_outcome(wired, body["id"])["status"] == "confirmed"


def test_a_sale_the_printer_refused_is_sent_before_the_daily_report(wired, cashier, tmp_path):
    fiscal_emulator(wired).inject("no_reply", on="trline")
    first = sell(cashier).get_json()
    assert first["fiscal_status"] == "failed"
    body = close_day(cashier).get_json()
    assert body["fiscal_daily_report"]["status"] == "confirmed" and "device_fault" not in body
    memory = fiscal_memory(tmp_path)
    assert [r["reference"] for r in memory["receipts"]] == [system_number(first["id"])]
    assert memory["daily_reports"][0]["totals_by_vat"] == fiscalised_totals(wired) != {}


def test_a_till_without_a_fiscal_printer_records_not_fiscal(app, hub, client):
    api = login(client)
    api.post("/api/v1/shifts", json={"opening_float": 0})
    assert sell(api).get_json()["fiscal_status"] == "not_fiscal"
    body = close_day(api).get_json()
    assert body["fiscal_daily_report"]["status"] == "not_fiscal" and "device_fault" not in body


def test_a_daily_report_whose_answer_was_lost_is_not_run_twice(wired, cashier, tmp_path):
    sale = sell(cashier).get_json()
    fiscal_emulator(wired).inject("power_loss", on="dailyrep")  # printed, then the printer went dark
    body = close_day(cashier).get_json()
    assert body["fiscal_daily_report"]["status"] == "failed" and body["device_fault"]["code"] == "no_reply"
    assert len(fiscal_memory(tmp_path)["daily_reports"]) == 1
    retried = cashier.post(f"/api/v1/day-reports/{body['id']}/fiscal").get_json()["fiscal_daily_report"]
    assert retried["status"] == "confirmed" and retried["number"] == 1 and retried["recovered"] is True
    # recovered, it still says which day it closed and with which totals
    assert retried["date"] == dt.date.today().isoformat() == fiscal_memory(tmp_path)["daily_reports"][0]["date"]
    assert retried["totals_by_vat"] == fiscalised_totals(wired) != {}
    memory = fiscal_memory(tmp_path)
    assert len(memory["daily_reports"]) == 1
    assert memory["daily_reports"][0]["totals_by_vat"] == fiscalised_totals(wired)
    assert [r["reference"] for r in memory["receipts"]] == [system_number(sale["id"])]
