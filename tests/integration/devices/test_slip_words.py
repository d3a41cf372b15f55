"""The slips the till's page shows as printed speak the till's language: a return slip's title and its
refund tenders, and the tenders on X/Z reports, never the API's raw words (`return`, `card`, `cash`)."""
from __future__ import annotations

from tests.integration.devices.conftest import sell, station


def printout(app) -> list[str]:
    return station(app).devices["printer"].emulator.render().text_lines


def test_return_slip_and_z_report_name_the_tenders_in_polish(wired, cashier):
    total = sell(cashier, payments=None).get_json()
    returned = cashier.post("/api/v1/returns", json={
        "sale_id": total["id"], "lines": [{"sale_line_id": total["lines"][0]["id"], "quantity": 1}],
        "approval": {"login": "boss", "pin": "9999"}, "reason": "damaged"})
    assert returned.status_code == 201
    lines = printout(wired)
    assert any(line.strip() == "Zwrot" for line in lines), lines
    assert any(line.startswith("Zwroty Karta") for line in lines), lines
    assert not any(" card " in f" {line} " or line.strip() == "return" for line in lines), lines

    sell(cashier, payments=[{"method": "cash", "amount": 100000}])
    assert cashier.post("/api/v1/shifts/current/close", json={"counted_cash": 0}).status_code == 200
    assert cashier.post("/api/v1/day-reports").status_code == 201
    lines = printout(wired)
    assert any(line.startswith("Gotówka") for line in lines), lines
    assert any(line.startswith("Karta") for line in lines), lines
    assert not any(line.split(" ")[0] in ("cash", "card") for line in lines), lines
