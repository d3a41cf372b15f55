"""What the cashier's page finds without a UUID: a sale by the receipt code as printed or typed, this shift's
sales, the last slip's picture; on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.integration.devices.conftest import sell


def test_a_sale_is_found_by_its_receipt_code_as_printed_or_typed(client, till):
    first = sell(till).get_json()
    second = sell(till).get_json()
    other_till = login(client, terminal="T2")
    assert other_till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
    on_t2 = sell(other_till).get_json()
    for code, sale in [("R-T1-1", first), ("R-T1-2", second), ("T1-2", second), ("t1/1", None), ("2", second),
                       (" R-T2-1 ", on_t2)]:
        response = till.get("/api/v1/sales/by-receipt", query_string={"code": code})
        if sale is None:
            assert response.status_code == 404, code  # terminal codes are matched as printed
            continue
        assert response.status_code == 200, (code, response.get_json())
        found = response.get_json()
        assert found["id"] == sale["id"] and [line["returned_quantity"] for line in found["lines"]] == [0]
    # from T2, a bare number is T2's own receipt
    assert other_till.get("/api/v1/sales/by-receipt", query_string={"code": "1"}).get_json()["id"] == on_t2["id"]


@pytest.mark.parametrize(("code", "status", "slug"), [
    ("R-T1-7", 404, "unknown-receipt"), ("hello", 422, "invalid-receipt-code"), ("R-T1-", 422, "invalid-receipt-code"),
])
def test_an_unknown_or_malformed_receipt_code_is_a_problem_naming_code(till, code, status, slug):
    sell(till)
    response = till.get("/api/v1/sales/by-receipt", query_string={"code": code})
    assert response.status_code == status
    problem = response.get_json()
    assert problem["type"].endswith("/" + slug) and problem["invalid_params"][0]["name"] == "code"


def test_this_shifts_sales_newest_first_with_their_receipt_codes(till):
    sell(till)
    sell(till, payments=[{"method": "cash", "amount": 100000}])
    items = till.get("/api/v1/shifts/current/sales").get_json()["items"]
    assert [(item["receipt_code"], item["methods"], item["returned"]) for item in items] == [
        ("R-T1-2", ["cash"], False), ("R-T1-1", ["card"], False)]
    assert till.post("/api/v1/shifts/current/close", json={"counted_cash": 0}).status_code == 200
    assert till.get("/api/v1/shifts/current/sales").status_code == 409  # no open shift


def test_the_last_slip_is_a_picture_or_a_problem_when_nothing_was_printed(wired, cashier):
    assert cashier.get("/api/v1/printouts/last.png", query_string={"kind": "x_report"}).status_code == 404
    assert cashier.post("/api/v1/shifts/current/x-report/print").status_code == 201
    picture = cashier.get("/api/v1/printouts/last.png", query_string={"kind": "x_report"})
    assert picture.status_code == 200 and picture.mimetype == "image/png" and picture.data[:8] == b"\x89PNG\r\n\x1a\n"
    refused = cashier.get("/api/v1/printouts/last.png", query_string={"kind": "receipt"})
    assert refused.status_code == 422 and refused.get_json()["invalid_params"][0]["name"] == "kind"
