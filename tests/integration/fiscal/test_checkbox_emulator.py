"""The Checkbox emulator holds requests to the published document: the document's two quirks are fixed in
memory (the file itself fails strict validation), and a request the real service would refuse is refused."""
from __future__ import annotations

import json
import uuid

import pytest
import requests
from openapi_core import OpenAPI

from simulators.checkbox_spec import fix_quirks
from tests.conftest import shared_path
from tests.integration.fiscal.checkbox_fixtures import LICENCE, PIN, clock, emulator  # noqa: F401


def test_the_published_document_needs_its_two_quirks_fixed_before_strict_validation():
    document = json.loads(shared_path("specs", "fiscal", "checkbox", "checkbox_openapi.json").read_text("utf-8"))
    receipt = document["components"]["schemas"]["ReceiptModel"]
    assert receipt["required"].count("total_sum") == 2  # quirk 1: a name twice in one required list
    quantity = document["components"]["schemas"]["GoodItemPayload"]["properties"]["quantity"]
    assert quantity["exclusiveMinimum"] is False and "minimum" not in quantity  # quirk 2: a modifier without a bound
    with pytest.raises(Exception):
        OpenAPI.from_dict(document)
    fixed = fix_quirks(document)
    assert fixed["components"]["schemas"]["ReceiptModel"]["required"].count("total_sum") == 1
    assert "exclusiveMinimum" not in fixed["components"]["schemas"]["GoodItemPayload"]["properties"]["quantity"]
    OpenAPI.from_dict(fixed)  # the whole document now passes the strict check


def signed_in(url: str) -> dict:
    token = requests.post(f"{url}/api/v1/cashier/signinPinCode", json={"pin_code": PIN},
                          headers={"X-License-Key": LICENCE}, timeout=5).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "X-License-Key": LICENCE}


def test_requests_the_document_refuses_are_refused_and_recorded(emulator):
    url = emulator.url
    headers = signed_in(url)
    good = {"good": {"code": "1", "name": "Хліб", "price": 2850, "tax": [1]}, "quantity": 1000}
    bad_bodies = [
        {"goods": [{**good, "quantity": "1000"}]},  # a quantity as text
        {"goods": [good], "payments": [{"type": "CHEQUE", "value": 2850}]},  # no such payment type
        {"id": "sale-1", "goods": [good]},  # an id that is not a UUID
        {"payments": [{"type": "CASH", "value": 2850}]},  # no goods
    ]
    for body in bad_bodies:
        answer = requests.post(f"{url}/api/v1/receipts/sell", json=body, headers=headers, timeout=5)
        assert answer.status_code == 422 and answer.json()["detail"]
    no_licence = requests.post(f"{url}/api/v1/shifts", json={}, headers={"Authorization": headers["Authorization"]},
                               timeout=5)
    assert no_licence.status_code == 422  # X-License-Key is required there
    assert len(emulator.rejected) == 5 and emulator.receipts == {}
    emulator.rejected.clear()  # they were meant: the fixture checks nothing else was refused


def test_a_receipt_id_is_taken_once_and_faults_can_be_armed(emulator):
    url = emulator.url
    headers = signed_in(url)
    assert requests.post(f"{url}/api/v1/shifts", json={}, headers=headers, timeout=5).status_code == 202
    body = {"id": str(uuid.uuid4()), "goods": [{"good": {"code": "1", "name": "Хліб", "price": 2850, "tax": [1]},
                                                "quantity": 1000}],
            "payments": [{"type": "CASHLESS", "value": 2850}]}
    emulator.fail(on="receipts/sell", status=503)
    assert requests.post(f"{url}/api/v1/receipts/sell", json=body, headers=headers, timeout=5).status_code == 503
    assert requests.post(f"{url}/api/v1/receipts/sell", json=body, headers=headers, timeout=5).status_code == 201
    again = requests.post(f"{url}/api/v1/receipts/sell", json=body, headers=headers, timeout=5)
    assert again.status_code == 400 and "вже існує" in again.json()["message"]
    emulator.go_down()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/api/v1/receipts/{body['id']}", headers=headers, timeout=5)
    emulator.come_back()
    assert requests.get(f"{url}/api/v1/receipts/{body['id']}", headers=headers, timeout=5).json()["status"] == "DONE"
    assert len(emulator.fiscal_receipts()) == 1
