"""Fixtures for dispatch over the API: a manager's login, couriers with their links, deliveries, dates."""
from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ApiClient, login

_refs = itertools.count(1)


def shop_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Warsaw")).date()


def next_monday() -> dt.date:
    today = shop_today()
    return today + dt.timedelta(days=7 - today.weekday())


class Dispatch:
    """A manager working the dispatch API, plus helpers that assert each call succeeded."""

    def __init__(self, api: ApiClient):
        self.api = api
        self.client = api.client
        self.monday = next_monday()

    def day(self, n: int) -> dt.date:
        """Next week's Monday + n days (always in the future, so plans can start there)."""
        return self.monday + dt.timedelta(days=n)

    def courier(self, name, **fields) -> dict:
        response = self.api.post("/api/v1/couriers", json={"name": name, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def delivery(self, postal_code="00-001", street=None, source="web_order", **fields) -> dict:
        address = fields.pop("address", {})
        body = {
            "source": source, "source_ref": fields.pop("source_ref", f"WEB-{next(_refs)}"),
            "address": {"street": street or f"Marszałkowska {next(_refs)}", "city": "Warszawa",
                        "postal_code": postal_code, **address},
            **fields,
        }
        response = self.api.post("/api/v1/deliveries", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def plan(self, start=None, days=5, mode="incremental", **fields) -> dict:
        response = self.api.post("/api/v1/dispatch/plan", json={
            "start": (start or self.monday).isoformat(), "days": days, "mode": mode, **fields})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def deliveries(self) -> dict:
        response = self.api.get("/api/v1/deliveries")
        assert response.status_code == 200, response.get_json()
        return {d["id"]: d for d in response.get_json()["items"]}

    def slots(self) -> dict:
        """delivery id → (courier id, day) for every planned delivery."""
        return {i: (d["assignment"]["courier_id"], d["assignment"]["day"])
                for i, d in self.deliveries().items() if d["assignment"]}

    def report(self, courier: dict, delivery_id: str, status: str, reason: str | None = None):
        body = {"status": status, **({"reason": reason} if reason is not None else {})}
        return self.client.post(f"/api/v1/deliveries/{delivery_id}/status", json=body,
                                headers={"Authorization": f"Bearer {courier['token']}"})

    def schedule(self, courier: dict, first, last, token=None):
        return self.client.get(f"/api/v1/couriers/{courier['id']}/schedule?from={first}&to={last}"
                               f"&token={token or courier['token']}")


@pytest.fixture
def dispatch(client) -> Dispatch:
    return Dispatch(login(client, "boss", "9999"))
