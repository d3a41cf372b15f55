"""HQ hears from a store when it pushes or pulls; online channels count its stock only while that is recent."""
from __future__ import annotations

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


def test_a_push_or_a_pull_marks_the_store_as_heard_from(hq):
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
    assert heard(app, "S9") >= first
    refused = client.post("/api/v1/sync/push", json={"changes": []}, headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
