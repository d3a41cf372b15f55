"""HQ hears from a store when its pushes arrive (a pull is no news of what it sold); online channels count its
stock only while that is recent."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.conftest import make_test_app, seed_store

from pos.stores.models import Location


def register_store(app, code="S9"):
    result = app.test_cli_runner().invoke(args=["stores", "add", code, "Sklep Testowy", "--country", "PL"])
    assert result.exit_code == 0, result.output
    return re.search(r"POS_STORE_TOKEN=(\S+)", result.output).group(1)


def heard(app, code):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(Location.last_heard_at).where(Location.code == code))


@pytest.fixture
def hq(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="HQ")
    seed_store(app, pin_hashes, product_count=5)
    yield app
    app.extensions["pos.db"].dispose()


def test_a_push_marks_the_store_as_heard_from_and_a_pull_does_not(hq):
    app, client = hq, hq.test_client()
    token = register_store(app)
    assert heard(app, "S9") is None
    headers = {"Authorization": f"Bearer {token}"}
    pushed = client.post("/api/v1/sync/push", json={"changes": []}, headers=headers)
    assert pushed.status_code == 200, pushed.get_json()
    first = heard(app, "S9")
    assert first is not None
    pulled = client.get("/api/v1/sync/changes?after=0&limit=10", headers=headers)
    assert pulled.status_code == 200, pulled.get_json()
    assert heard(app, "S9") == first
    boss = client.post("/api/v1/auth/login", json={"login": "boss", "pin": "9999", "terminal": "T1"}).get_json()
    listed = client.get("/api/v1/stores", headers={"Authorization": f"Bearer {boss['token']}"}).get_json()["stores"]
    s9 = next(store for store in listed if store["code"] == "S9")
    assert s9["fresh_through"] == first.isoformat() and s9["last_pull_at"] > s9["last_push_at"]
    refused = client.post("/api/v1/sync/push", json={"changes": []}, headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401


def test_a_push_with_changes_still_waiting_is_fresh_only_up_to_the_oldest_of_them(hq):
    app, client = hq, hq.test_client()
    headers = {"Authorization": f"Bearer {register_store(app)}"}
    now = dt.datetime.now(dt.timezone.utc)
    waiting = now - dt.timedelta(minutes=40)
    behind = client.post("/api/v1/sync/push", json={"changes": [], "waiting_since": waiting.isoformat()},
                         headers=headers)
    assert behind.status_code == 200, behind.get_json()
    assert heard(app, "S9") == waiting
    older = client.post("/api/v1/sync/push", json={"changes": [], "waiting_since": (waiting - dt.timedelta(hours=1))
                                                   .isoformat()}, headers=headers)
    assert older.status_code == 200 and heard(app, "S9") == waiting  # freshness never runs backwards
    ahead = client.post("/api/v1/sync/push", json={"changes": [], "waiting_since": (now + dt.timedelta(days=1))
                                                   .isoformat()}, headers=headers)
    assert ahead.status_code == 200
    assert waiting < heard(app, "S9") <= dt.datetime.now(dt.timezone.utc)  # a clock ahead counts as now
    naive = client.post("/api/v1/sync/push", json={"changes": [], "waiting_since": "2026-12-03T10:00:00"},
                        headers=headers)
    assert naive.status_code == 422 and naive.get_json()["invalid_params"][0]["name"].endswith("waiting_since")
