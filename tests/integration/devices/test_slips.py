"""Shift, cash, X/Z and return slips come out of the till's printer after the action is committed."""
from __future__ import annotations

from sqlalchemy import select

from pos.devices.models import PrintJob
from tests.integration.devices.conftest import sell, station


def printed_kinds(app) -> list[str]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(PrintJob.kind).where(PrintJob.printed.is_(True))
                                        .order_by(PrintJob.created_at)))


def test_each_cash_and_shift_action_prints_its_slip_and_cash_opens_the_drawer(wired, cashier):
    sale = sell(cashier, payments=[{"method": "cash", "amount": 100000}]).get_json()
    returned = cashier.post("/api/v1/returns", json={
        "sale_id": sale["id"], "lines": [{"sale_line_id": sale["lines"][0]["id"], "quantity": 1}],
        "approval": {"login": "boss", "pin": "9999"}, "reason": "damaged"})
    assert returned.status_code == 201 and "device_fault" not in returned.get_json()
    assert cashier.post("/api/v1/shifts/current/cash", json={"kind": "cash_out", "amount": 5000,
                                                             "reason": "to the safe"}).status_code == 201
    x = cashier.post("/api/v1/shifts/current/x-report/print")
    assert x.status_code == 201 and x.get_json()["printed"] is True
    assert cashier.post("/api/v1/shifts/current/close", json={"counted_cash": 0}).status_code == 200
    assert cashier.post("/api/v1/day-reports").status_code == 201
    assert printed_kinds(wired) == ["shift_open", "receipt", "return", "cash_out", "x_report", "shift_close",
                                    "z_report"]
    # the sale, the cash refund and the cash pick-up each opened the drawer
    assert station(wired).devices["printer"].emulator.drawer_kicks == 3
    last = station(wired).devices["printer"].emulator.render()
    assert any("Raport Z" in line for line in last.text_lines)

def test_a_slip_the_printer_cannot_print_leaves_the_action_done_and_says_why(wired, cashier):
    station(wired).device("printer", force=True).emulator.set_paper("out")
    moved = cashier.post("/api/v1/shifts/current/cash", json={"kind": "cash_in", "amount": 1000})
    assert moved.status_code == 201
    assert moved.get_json()["device_fault"]["code"] == "paper_out"
    assert cashier.get("/api/v1/shifts/current").get_json()["status"] == "open"
