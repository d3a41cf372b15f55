"""Stores sell while HQ is down, drain exactly once when it returns, survive a kill mid-push, and merge the
same customer created offline at two stores.  HQ on PostgreSQL, stores on SQLite, all real processes."""
from __future__ import annotations

import signal
import subprocess
import uuid

import requests
from sqlalchemy import create_engine, func, select

from pos.customers.merges import resolve
from pos.db import Database
from pos.feed.models import Change
from pos.sales.models import Sale
from pos.stores.models import AppliedChange, Location
from tests.integration.sync.chain import BIN, ROOT, HoldingProxy, Till

SKUS = ["SKU-000000", "SKU-000001", "SKU-000002"]


def hq_sales(chain, code) -> dict:
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        rows = connection.execute(select(Sale.id, Sale.total).join(Location, Location.id == Sale.location_id)
                                  .where(Location.code == code)).all()
        applied = connection.scalar(select(func.count()).select_from(AppliedChange).join(
            Location, Location.id == AppliedChange.location_id).where(Location.code == code))
    engine.dispose()
    return {"sales": dict(rows), "applied": applied}


def store_sales(chain, code) -> dict:
    engine = create_engine(chain.store_db[code])
    with engine.connect() as connection:
        rows = connection.execute(select(Sale.id, Sale.total)).all()
        changes = connection.scalar(select(func.count()).select_from(Change))
    engine.dispose()
    return {"sales": dict(rows), "changes": changes}


def assert_in_step(chain, code):
    at_hq, at_store = hq_sales(chain, code), store_sales(chain, code)
    assert at_hq["sales"] == at_store["sales"]  # same ids, same totals: nothing lost, nothing doubled
    assert sum(at_hq["sales"].values()) == sum(at_store["sales"].values())
    assert at_hq["applied"] == at_store["changes"]


def status(till) -> dict:
    return till.call("GET", "/api/v1/sync/status")


def test_stores_sell_offline_and_drain_once_with_one_merged_customer(chain):
    s1, s2 = Till(chain.stores["S1"]), Till(chain.stores["S2"])
    s1.open_shift(), s2.open_shift()

    chain.hq.stop()
    jan_s1 = s1.call("POST", "/api/v1/customers", json={"name": "Jan Kowalski", "phone": "601 234 567"})
    jan_s2 = s2.call("POST", "/api/v1/customers", json={"name": "Jan K.", "phone": "+48 601-234-567",
                                                        "email": " Jan@Example.PL "})
    assert jan_s1["source"] == jan_s2["source"] == "local"
    assert jan_s1["phone"] == jan_s2["phone"] == "+48601234567" and jan_s1["id"] != jan_s2["id"]
    found = s1.call("GET", "/api/v1/customers", params={"phone": "0048601234567"})
    assert found["source"] == "local" and [c["id"] for c in found["customers"]] == [jan_s1["id"]]
    sold = {"S1": [s1.sell(SKUS, jan_s1["id"]), s1.sell(SKUS[:1]), s1.sell(SKUS[1:])],
            "S2": [s2.sell(SKUS, jan_s2["id"]), s2.sell(SKUS[:2], method="cash")]}
    assert all(sale["total"] > 0 for sales in sold.values() for sale in sales)
    assert "push failed" in chain.sync_once("S1").stdout
    offline = status(s1)
    assert offline["push"]["last_error"] and offline["push"]["failures"] >= 1
    assert offline["backlog"]["changes"] >= 4 and offline["backlog"]["oldest_at"]

    chain.hq.start()
    chain.sync_all()  # both push; HQ merges whichever Jan comes second
    second_round = chain.sync_all()  # and each learns the merge HQ made from the other's push
    for code in ("S1", "S2"):
        assert "0 change(s) sent" in second_round[code]  # nothing left, nothing sent again
        assert_in_step(chain, code)
    drained = status(s1)
    assert drained["backlog"]["changes"] == 0 and drained["push"]["failures"] == 0
    assert drained["push"]["last_success_at"] >= offline["push"]["last_error_at"]

    merges = Till(chain.hq, "boss", "9999").call("GET", "/api/v1/customers/merges")["merges"]
    survivor = uuid.UUID(merges[0]["survivor_id"])  # whichever store reached HQ first
    merged = ({jan_s1["id"], jan_s2["id"]} - {str(survivor)}).pop()
    assert [(m["merged_id"], m["matched_on"]) for m in merges] == [(merged, "phone")]
    for code in ("S1", "S2"):
        db = Database(chain.store_db[code])
        with db.unit_of_work(read_only=True) as uow:
            assert resolve(uow.session, uuid.UUID(merged)).id == survivor
            assert resolve(uow.session, survivor).id == survivor
        db.dispose()
    for till in (s1, s2):
        seen = till.call("GET", f"/api/v1/customers/{merged}")
        assert seen["customer"]["id"] == str(survivor) and seen["redirected"]

    boss = Till(chain.hq, "boss", "9999")
    profile = boss.call("GET", f"/api/v1/customers/{merged}")
    assert profile["customer"]["id"] == str(survivor)
    assert profile["customer"]["email"] == "jan@example.pl"  # gained from the merged profile
    sales_on_timeline = {e["reference"] for e in profile["timeline"] if e["kind"] == "sale"}
    assert sales_on_timeline == {sold["S1"][0]["id"], sold["S2"][0]["id"]}  # both stores' histories
    stores = {s["code"]: s for s in boss.call("GET", "/api/v1/stores")["stores"]}
    assert set(stores) == {"S1", "S2"} and all(s["last_seen_at"] for s in stores.values())


def test_a_push_killed_after_hq_applied_a_batch_loses_and_doubles_nothing(chain):
    till = Till(chain.stores["S2"])
    till.open_shift()
    for index in range(45):
        till.sell([SKUS[index % 3]])
    proxy = HoldingProxy(chain.hq.url, hold_from_push=3)
    env = {**chain.stores["S2"].env, "POS_HQ_URL": proxy.url, "POS_SYNC_BATCH": "10"}
    pusher = subprocess.Popen([str(BIN / "flask"), "sync", "once"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert proxy.holding.wait(60), "the third push never reached HQ"
        pusher.send_signal(signal.SIGKILL)
        pusher.wait(10)
    finally:
        proxy.close()
    # HQ has the held batch; the store never heard, so its cursor is behind HQ's.
    db = Database(chain.store_db["S2"])
    with db.unit_of_work(read_only=True) as uow:
        from pos.stores.models import SyncCursor
        cursor = uow.session.get(SyncCursor, "push").position
    db.dispose()
    assert hq_sales(chain, "S2")["applied"] > 0
    assert cursor < store_sales(chain, "S2")["changes"]

    answer = chain.sync_once("S2").stdout
    assert "newly applied" in answer
    sent, applied = (int(n) for n in __import__("re").search(r"(\d+) change\(s\) sent, (\d+) newly", answer).groups())
    assert applied < sent  # the held batch came again and was acknowledged, not applied twice
    assert_in_step(chain, "S2")


def test_store_tokens_are_checked_and_a_store_writes_only_its_own_data(chain):
    from tests.integration.sync.chain import flask
    import re
    token = re.search(r"POS_STORE_TOKEN=(\S+)", flask(chain.hq.env, "stores", "add", "S3", "Sklep 3").stdout).group(1)
    push = chain.hq.url + "/api/v1/sync/push"
    sale = {"seq": 1, "entity": "sale", "entity_id": str(uuid.uuid4()), "op": "created",
            "payload": {"id": str(uuid.uuid4()), "store": "S1"}}
    wrong = requests.post(push, json={"changes": [sale]}, headers={"Authorization": "Bearer pos_store_nope"})
    assert wrong.status_code == 401
    other = requests.post(push, json={"changes": [sale]}, headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 200 and other.json()["applied"] == 0  # refused alone, into the quarantine
    problem = other.json()["refused"][0]["problem"]
    assert problem["status"] == 403 and "S1" in problem["detail"]
    assert problem["invalid_params"][0]["name"] == "changes[0].payload.store"
    flask(chain.hq.env, "stores", "revoke", "S3")
    revoked = requests.post(push, json={"changes": []}, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 403
    pulled = requests.get(chain.hq.url + "/api/v1/sync/changes", headers={"Authorization": f"Bearer {token}"})
    assert pulled.status_code == 403
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        s3 = connection.scalar(select(func.count()).select_from(AppliedChange).join(
            Location, Location.id == AppliedChange.location_id).where(Location.code == "S3"))
    engine.dispose()
    assert s3 == 0
    staff_only = requests.get(chain.hq.url + "/api/v1/stores", headers={"Authorization": f"Bearer {token}"})
    assert staff_only.status_code == 403
    cashier = Till(chain.hq)  # a cashier, not a manager
    assert cashier.http.get(chain.hq.url + "/api/v1/stores").status_code == 403
