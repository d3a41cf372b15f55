"""/metrics shows each till's devices as this process drives them, and the fiscal queue's outcome."""
from __future__ import annotations

from tests.integration.devices.conftest import sell
from tests.integration.test_metrics import scrape


def test_the_tills_devices_and_a_confirmed_fiscal_receipt_show_in_the_metrics(app, client, cashier):
    assert sell(cashier).status_code == 201
    figures = scrape(client)
    states = {labels: value for (name, labels), value in figures.items() if name == "pos_device_state"}
    devices = {dict(labels)["device"]: dict(labels)["state"] for labels in states}
    assert set(devices) >= {"fiscal", "printer", "display"}
    assert set(states.values()) == {1.0}
    assert devices["fiscal"] not in ("closed", "offline", "blocked")
    assert figures[("pos_fiscal_records", (("status", "confirmed"),))] == 1
    assert figures[("pos_fiscal_records", (("status", "failed"),))] == 0
