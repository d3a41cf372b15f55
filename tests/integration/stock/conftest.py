"""Fixtures for stock and the web-shop API: API keys, a shop client that sends Idempotency-Keys."""
from __future__ import annotations

import uuid

import pytest

from sync.webshop.keys import SCOPES, add_client


def make_key(app, name="shop", scopes=SCOPES) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        _client, key = add_client(uow.session, name, list(scopes))
        uow.commit()
    return key


class Shop:
    """The web shop calling the sync API with its key; every POST gets a fresh Idempotency-Key unless given."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key

    def headers(self, extra=None):
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, key: str | None = None, **kw):
        headers = self.headers({"Idempotency-Key": key or str(uuid.uuid4()), **kw.pop("headers", {})})
        return self.client.post(path, json=json, headers=headers, **kw)

    def available(self, sku, channel="webshop") -> int:
        response = self.get(f"/api/v1/availability?channel={channel}&sku={sku}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"][0]["available"]

    def reserve(self, lines, channel="webshop", reference=None, ttl=900):
        return self.post("/api/v1/reservations", {"channel": channel, "reference": reference or str(uuid.uuid4()),
                                                  "ttl_seconds": ttl,
                                                  "lines": [{"sku": s, "quantity": q} for s, q in lines]})


@pytest.fixture
def shop(app, client) -> Shop:
    return Shop(client, make_key(app))


def check_stock(app) -> None:
    """The reconciliation every test ends with: levels = ledger, reserved/committed = open reservations."""
    from pos.stock.services import ledger_mismatches, promise_mismatches

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert ledger_mismatches(uow.session) == []
        assert promise_mismatches(uow.session) == []
