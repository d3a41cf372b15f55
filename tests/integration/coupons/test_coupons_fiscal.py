"""A coupon reaches the fiscal printer as a discount on the lines it applies to (the printers' emulators)."""
from __future__ import annotations

import json

import pytest

from tests.integration.coupons.coupon_fixtures import campaign, set_group
from tests.integration.devices.conftest import configure_terminal
from tests.conftest import login

DAIRY, OTHER = "SKU-000000", "SKU-000003"


@pytest.fixture(params=["posnet", "noviapi"])
def printer_till(request, app, tmp_path, client):
    memory = tmp_path / "fiscal-memory.json"
    configure_terminal(app, printer_url=f"emulator://printer?dir={tmp_path / 'printer'}",
                       fiscal_url=f"emulator://{request.param}?memory={memory}&timeout=0.3&settle=3")
    api = login(client)
    assert api.post("/api/v1/shifts", json={"opening_float": 20000}).status_code == 201
    yield api, memory, request.param
    app.extensions["pos.devices"].close()


def test_the_coupon_is_a_line_discount_on_the_fiscal_receipt(app, printer_till):
    api, memory, kind = printer_till
    set_group(app, "dairy", DAIRY)
    campaign(app, percent_bp=1000, shared_code="MILK10", product_groups=["dairy"])
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    for sku in (DAIRY, DAIRY, OTHER):
        assert api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku}).status_code == 201
    assert api.put(f"/api/v1/baskets/{basket}/coupon", json={"code": "MILK10"}).status_code == 200
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    sale = api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "card", "amount": total}]})
    assert sale.status_code == 201, sale.get_json()
    sold = sale.get_json()
    assert sold["fiscal_status"] == "confirmed", sold
    recorded = json.loads(memory.read_text("utf-8"))["receipts"][0]
    assert recorded["total"] == sold["total"]
    assert [line["amount"] for line in recorded["lines"]] == [line["amount"] for line in sold["lines"]]
    coupon = sold["lines"][0]["discount"]
    assert coupon > 0 and sold["lines"][1]["discount"] == 0
    if kind == "posnet":  # POSNET records each line's discount (rw) beside its value
        assert [line["discount"] for line in recorded["lines"]] == [coupon, 0]


@pytest.fixture
def checkbox():
    from tests.integration.fiscal.checkbox_fixtures import running_emulator
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def ua_till(database_url, tmp_path, pin_hashes, checkbox, monkeypatch):
    from tests.conftest import make_test_app, seed_store
    from tests.integration.fiscal.checkbox_fixtures import LICENCE, PIN

    monkeypatch.setenv("CHECKBOX_LICENSE_KEY", LICENCE)
    monkeypatch.setenv("CHECKBOX_CASHIER_PIN", PIN)
    app = make_test_app(database_url, tmp_path, POS_COUNTRY="UA", POS_ALLOW_REAL_DEVICES=True)
    seed_store(app, pin_hashes)
    fiscal = checkbox.url.replace("http://", "checkbox+http://") + "?timeout=0.5&settle=2&retry=0&codes=10"
    configure_terminal(app, printer_url=f"emulator://printer?dir={tmp_path / 'printer'}", fiscal_url=fiscal)
    api = login(app.test_client())
    assert api.post("/api/v1/shifts", json={"opening_float": 20000}).status_code == 201
    yield app, api
    app.extensions["pos.devices"].close()
    app.extensions["pos.db"].dispose()


def test_a_ukrainian_prro_gets_the_coupon_as_each_good_s_discount(ua_till, checkbox):
    app, api = ua_till
    set_group(app, "dairy", DAIRY)
    campaign(app, amount=1234, shared_code="MOLOKO", product_groups=["dairy"])
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    for sku in (DAIRY, OTHER):
        assert api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku}).status_code == 201
    assert api.put(f"/api/v1/baskets/{basket}/coupon", json={"code": "moloko"}).status_code == 200
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    sold = api.post(f"/api/v1/baskets/{basket}/checkout",
                    json={"payments": [{"method": "card", "amount": total}]}).get_json()
    assert sold["fiscal_status"] == "confirmed", sold
    receipt = checkbox.receipts[sold["id"]]
    assert [good["sum"] for good in receipt["goods"]] == [line["amount"] for line in sold["lines"]]
    assert sold["lines"][0]["discount"] == 1234 and receipt["total_sum"] == sold["total"]
