"""Loyalty in a chain: HQ (PostgreSQL) holds the points; a store's sale earns when it reaches HQ (once,
however often it is pushed), the store's till spends points online at HQ, refuses them while HQ is down,
and a return at the store takes back points and refunds the points tender when it reaches HQ."""
from __future__ import annotations

import uuid

from tests.integration.sync.chain import Till, flask

SKUS = ["SKU-000003", "SKU-000004"]
BOSS = {"login": "boss", "pin": "9999"}


def balance(till, customer_id) -> dict:
    return till.call("GET", f"/api/v1/loyalty/accounts/{customer_id}")


def test_store_sales_earn_at_hq_and_the_till_spends_points_online(chain):
    flask(chain.hq.env, "loyalty", "set", "--name", "Karta", "--points-per-unit", "100", "--point-value", "1")
    s1 = Till(chain.stores["S1"])
    s1.open_shift()
    person = s1.call("POST", "/api/v1/customers", json={"name": "Ala", "card": "LC-CHAIN-1"})
    assert person["source"] == "hq"
    sale = s1.sell(SKUS, person["id"])
    assert balance(s1, person["id"])["balance"] == 0  # the store earns nothing itself: HQ does
    chain.sync_once("S1")
    earned = balance(s1, person["id"])
    assert earned["balance"] == sale["total"] and earned["history"][0]["reference"] == sale["id"]
    chain.sync_once("S1")  # pushed again: nothing new, nothing earned twice
    assert balance(s1, person["id"])["balance"] == sale["total"]

    basket = s1.call("POST", "/api/v1/baskets", json={})
    basket = s1.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": SKUS[0], "quantity": 1})
    points = min(basket["total"] - 1, earned["balance"])
    body = {"payments": [{"method": "points", "amount": points}, {"method": "card", "amount": basket["total"] - points}],
            "customer_id": person["id"]}
    key = str(uuid.uuid4())
    paid = s1.call("POST", f"/api/v1/baskets/{basket['id']}/checkout", json=body, headers={"Idempotency-Key": key})
    spent = balance(s1, person["id"])
    assert spent["balance"] == earned["balance"] - points and spent["history"][0]["kind"] == "redeem"
    again = s1.call("POST", f"/api/v1/baskets/{basket['id']}/checkout", json=body, headers={"Idempotency-Key": key})
    assert again["id"] == paid["id"] and balance(s1, person["id"])["balance"] == spent["balance"]
    chain.sync_once("S1")  # the sale reaches HQ: it earns on the part paid by card only
    assert balance(s1, person["id"])["balance"] == spent["balance"] + (basket["total"] - points)

    before = balance(s1, person["id"])["balance"]
    returned = s1.call("POST", "/api/v1/returns", json={"sale_id": paid["id"], "approval": BOSS,
                                                        "lines": [{"sale_line_id": paid["lines"][0]["id"],
                                                                   "quantity": 1}]})
    assert {r["method"] for r in returned["refunds"]} >= {"points"}
    chain.sync_once("S1")
    after = balance(s1, person["id"])
    back = sum(r["amount"] for r in returned["refunds"] if r["method"] == "points")
    assert after["balance"] == before - (basket["total"] - points) + back
    assert {e["kind"] for e in after["history"][:2]} == {"reverse", "refund"}

    chain.hq.stop()
    try:
        basket = s1.call("POST", "/api/v1/baskets", json={})
        basket = s1.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": SKUS[1], "quantity": 1})
        offline = s1.http.post(f"{s1.url}/api/v1/baskets/{basket['id']}/checkout", timeout=30,
                               json={"payments": [{"method": "points", "amount": 1},
                                                  {"method": "card", "amount": basket["total"] - 1}],
                                     "customer_id": person["id"]}, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert offline.status_code == 503 and offline.json()["type"].endswith("/loyalty-offline")
        assert offline.json()["invalid_params"][0]["name"] == "payments"
        by_card = s1.call("POST", f"/api/v1/baskets/{basket['id']}/checkout",
                          json={"payments": [{"method": "card", "amount": basket["total"]}],
                                "customer_id": person["id"]})
        assert by_card["total"] == basket["total"]  # the basket is still there to pay another way
    finally:
        chain.hq.start()
