"""Journeys are data: a manager saves a new version, switches one off, and a definition that would not run is
refused with a problem naming the field."""
from __future__ import annotations

from tests.conftest import login

BIG_SPENDERS = {"name": "Thank big spenders", "trigger": {"kind": "order"},
                "conditions": [{"path": "details.total", "op": ">=", "value": 50000}], "reentry": "allow",
                "steps": [{"type": "wait", "seconds": 86400},
                          {"type": "coupon", "amount": 1000, "valid_days": 60},
                          {"type": "email", "template": "apology_coupon", "purpose": "transactional"}]}


def test_versions_switching_off_and_refusals(app, client, worker):
    boss = login(client, "boss", "9999")
    first = boss.put("/api/v1/journeys/big_spenders", json=BIG_SPENDERS)
    assert first.status_code == 201 and first.get_json()["version"] == 1
    second = boss.put("/api/v1/journeys/big_spenders", json={**BIG_SPENDERS, "name": "Thanks"})
    assert second.get_json()["version"] == 2 and second.get_json()["created_by"] == "boss"
    keys = {j["key"]: j["version"] for j in boss.get("/api/v1/journeys").get_json()["items"]}
    assert keys["big_spenders"] == 2 and "abandoned_cart" in keys  # the defaults are on

    off = boss.put("/api/v1/journeys/abandoned_cart", json={**boss.get("/api/v1/journeys").get_json()["items"][0]
                                                            ["definition"], "active": False})
    assert off.status_code == 201
    assert "abandoned_cart" not in {j["key"] for j in boss.get("/api/v1/journeys").get_json()["items"]}

    bad = boss.put("/api/v1/journeys/big_spenders", json={**BIG_SPENDERS, "steps": [{"type": "wait", "seconds": -1}]})
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "steps.0.wait.seconds"
    unknown = boss.put("/api/v1/journeys/big_spenders", json={**BIG_SPENDERS, "colour": "red"})
    assert unknown.status_code == 422 and unknown.get_json()["invalid_params"][0]["name"] == "colour"
    assert login(client).put("/api/v1/journeys/big_spenders", json=BIG_SPENDERS).status_code == 403
    versions = {j["key"]: j["version"] for j in boss.get("/api/v1/journeys").get_json()["items"]}
    assert versions["big_spenders"] == 2  # refusals wrote nothing
