"""Who may sell which unit: HQ's holds on a store's pieces reach that store, whose till sells only the free ones
(a manager may override, audited).  HQ on PostgreSQL, store S1 on SQLite, each a real process."""
from __future__ import annotations

import uuid

import requests
from sqlalchemy import create_engine, select

from pos.catalogue.models import Product
from pos.stock.models import StockLevel
from tests.integration.sync.chain import Till, flask

SKU = "SKU-000007"


def web_shop(chain) -> requests.Session:
    key = flask(chain.hq.env, "clients", "add", f"web-{uuid.uuid4().hex[:6]}",
                "--scope", "reservations:write", "--scope", "availability:read").stdout.strip().splitlines()[-1]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def reserve(chain, web, quantity: int) -> dict:
    answer = web.post(chain.hq.url + "/api/v1/reservations", timeout=30, headers={"Idempotency-Key": str(uuid.uuid4())},
                      json={
        "channel": "collect:S1", "reference": str(uuid.uuid4()), "ttl_seconds": 900,
        "lines": [{"sku": SKU, "quantity": quantity}]})
    assert answer.status_code == 201, answer.text + chain.hq.log.read_text()[-4000:]
    return answer.json()


def held_at_store(chain) -> int:
    engine = create_engine(chain.store_db["S1"])
    with engine.connect() as connection:
        held = connection.scalar(select(StockLevel.hq_held).join(Product, Product.id == StockLevel.product_id)
                                 .where(Product.sku == SKU))
    engine.dispose()
    return held


def sell_one(till, expect=(201,), approval=None):
    basket = till.call("POST", "/api/v1/baskets", json={})
    basket = till.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": SKU, "quantity": 1})
    body = {"payments": [{"method": "card", "amount": basket["total"]}]}
    if approval:
        body["approval"] = approval
    answer = till.http.post(f"{till.url}/api/v1/baskets/{basket['id']}/checkout", json=body, timeout=30)
    assert answer.status_code in expect, answer.text
    return answer.json()


def test_a_store_learns_hqs_holds_and_its_till_sells_only_free_pieces(chain):
    s1, s2 = Till(chain.stores["S1"]), Till(chain.stores["S2"])
    s1.open_shift()
    s1.call("POST", "/api/v1/stock/receipts", json={"reference": "WZ/7", "lines": [{"sku": SKU, "quantity": 10}]},
            headers={"Idempotency-Key": "wz-7"})
    chain.sync_once("S1")  # HQ learns the ten pieces

    web = web_shop(chain)
    held = reserve(chain, web, 8)  # a click-and-collect order holds 8 of S1's 10
    chain.sync_all()
    assert held_at_store(chain) == 8
    assert s2.call("GET", "/api/v1/sync/status")  # S2 pulled too, and got nothing of S1's holds:
    engine = create_engine(chain.store_db["S2"])
    with engine.connect() as connection:
        assert connection.scalar(select(StockLevel.hq_held).where(StockLevel.hq_held > 0)) is None
    engine.dispose()

    level = s1.call("GET", "/api/v1/stock/levels", params={"sku": SKU})["items"][0]
    assert (level["on_hand"], level["held_by_hq"], level["free_at_till"]) == (10, 8, 2)  # what the till shows
    sell_one(s1), sell_one(s1)  # the two free pieces
    refused = sell_one(s1, expect=(409,))
    assert refused["type"].endswith("/stock-promised") and refused["invalid_params"][0]["name"] == "lines"
    not_a_manager = sell_one(s1, expect=(403,), approval={"login": "demo", "pin": "1234"})
    assert not_a_manager["type"].endswith("/not-a-manager")
    overridden = sell_one(s1, expect=(201,), approval={"login": "boss", "pin": "9999"})
    assert overridden["total"] > 0

    released = web.post(f"{chain.hq.url}/api/v1/reservations/{held['id']}/release", timeout=30,
                        headers={"Idempotency-Key": str(uuid.uuid4())})
    assert released.status_code == 200, released.text
    chain.sync_once("S1")
    assert held_at_store(chain) == 0
    sell_one(s1)  # nothing held any more: the till sells without asking


def test_hq_learns_each_sales_fiscal_outcome(chain):
    """The fiscal queue's outcome (here the till's non-fiscal printer: `not_fiscal`) reaches HQ with the next push;
    before, HQ kept every store sale as `pending` for ever."""
    from pos.sales.models import Sale

    s2 = Till(chain.stores["S2"])
    s2.open_shift()
    sold = s2.sell([SKU])
    chain.sync_once("S2")
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        at_hq = connection.execute(select(Sale.fiscal_status, Sale.fiscal_number).where(Sale.id == sold["id"])).one()
    engine.dispose()
    assert sold["fiscal_status"] == "not_fiscal"
    assert tuple(at_hq) == ("not_fiscal", None)
