"""`make run`'s Ukrainian demo store: its till T1 fiscalises on the Checkbox emulator the demo starts itself
(emulator://checkbox), through the real Checkbox driver over HTTP on 127.0.0.1."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from pos.demo import load_demo
from pos.stores.models import Terminal
from tests.conftest import login, make_test_app, shared_path
from tests.integration.devices.conftest import sell


@pytest.fixture
def ua_demo(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKBOX_SPEC", str(shared_path("specs", "fiscal", "checkbox", "checkbox_openapi.json")))
    # as `make run` serves it: a Ukrainian store of its own; emulators only (POS_ALLOW_REAL_DEVICES=0)
    app = make_test_app(database_url, tmp_path, POS_COUNTRY="UA", POS_STORE_CODE="UA1",
                        POS_STORE_NAME="Демо-магазин")
    with app.app_context():
        with app.extensions["pos.db"].unit_of_work() as uow:
            assert load_demo(uow.session, app.config, product_count=40)
            uow.commit()
    yield app
    app.extensions["pos.devices"].close()
    app.extensions["pos.db"].dispose()


def fiscal_emulator(app):
    hub = app.extensions["pos.devices"]
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        terminal = uow.session.query(Terminal).filter_by(code="T1").one()
    return hub.station(terminal).devices["fiscal"].emulator


def test_the_ukrainian_demo_till_sells_and_gets_a_fiscal_code(ua_demo, tmp_path):
    with ua_demo.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.query(Terminal).filter_by(code="T1").one().fiscal_url.startswith("emulator://checkbox?")
    cashier = login(ua_demo.test_client())
    assert cashier.post("/api/v1/shifts", json={"opening_float": 20000}).status_code == 201
    response = sell(cashier, ["SKU-000000", "SKU-000001"])
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    assert sale["currency"] == "UAH" and sale["fiscal_status"] == "confirmed" and sale["fiscal_number"]
    emulator = fiscal_emulator(ua_demo)
    receipt = emulator.receipts[sale["id"]]
    assert receipt["fiscal_code"] == sale["fiscal_number"] and receipt["total_sum"] == sale["total"]
    assert emulator.rejected == [] and emulator.response_errors == []  # validated against the published document
    png = cashier.get(f"/api/v1/sales/{sale['id']}/receipt.png").data
    codes = {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}
    assert receipt["tax_url"] in codes
    fiscal = next(i for i in cashier.get("/api/v1/devices").get_json()["items"] if i["name"] == "fiscal")
    assert fiscal["offline"]["state"] == "online" and fiscal["offline"]["codes_left"] > 0
    assert "license=***" in fiscal["url"] and emulator.license_key not in str(fiscal)
    # the emulated Checkbox keeps its register across a restart of the demo, as the cloud does
    ua_demo.extensions["pos.devices"].close()
    again = sell(cashier, ["SKU-000002"]).get_json()
    assert again["fiscal_status"] == "confirmed"
    assert sale["id"] in fiscal_emulator(ua_demo).receipts
