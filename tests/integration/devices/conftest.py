"""Till T1 wired to emulators under tmp_path: virtual printer, POSNET emulator (short timeouts), display."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from pos.stores.models import Terminal
from tests.conftest import login


def configure_terminal(app, code="T1", **urls) -> None:
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Terminal).where(Terminal.code == code).values(**urls))
        uow.commit()


def emulator_urls(tmp_path, *, scanner: bool = False) -> dict:
    urls = {"printer_url": f"emulator://printer?dir={tmp_path / 'printer'}",
            "fiscal_url": f"emulator://posnet?memory={tmp_path / 'fiscal-memory.json'}&timeout=0.3&settle=1",
            "display_url": "emulator://display"}
    if scanner:
        urls["scanner_url"] = "emulator://scanner"
    return urls


@pytest.fixture
def hub(app):
    hub = app.extensions["pos.devices"]
    yield hub
    hub.close()  # stops the in-process POSNET emulators and closes the virtual devices


@pytest.fixture
def wired(app, hub, tmp_path):
    """T1 with every emulator configured."""
    configure_terminal(app, **emulator_urls(tmp_path))
    return app


@pytest.fixture
def cashier(wired, client):
    api = login(client)
    response = api.post("/api/v1/shifts", json={"opening_float": 20000})
    assert response.status_code == 201, response.get_json()
    return api


def station(app, code="T1"):
    hub = app.extensions["pos.devices"]
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        terminal = uow.session.scalars(select(Terminal).where(Terminal.code == code)).one()
    return hub.station(terminal)


def fiscal_emulator(app, code="T1"):
    return station(app, code).device("fiscal", force=True).emulator


def fiscal_memory(tmp_path) -> dict:
    return json.loads((tmp_path / "fiscal-memory.json").read_text("utf-8"))


def sell(api, skus=("SKU-000000",), payments=None, key=None):
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    for sku in skus:
        response = api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku})
        assert response.status_code == 201, response.get_json()
    total = api.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    payments = payments or [{"method": "card", "amount": total}]
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": payments}, headers=headers)


def count_rows(app, model, *where):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))
