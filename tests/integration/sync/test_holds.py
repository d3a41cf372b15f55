"""Who may sell which unit: HQ's holds on a store's pieces reach that store, whose till sells only the free ones
(a manager may override, audited).  HQ on PostgreSQL, store S1 on SQLite, each a real process."""
from __future__ import annotations

import re
import uuid

import requests
from sqlalchemy import create_engine, select

from pos.catalogue.models import Product
from pos.stock.models import StockLevel
from tests.integration.sync.chain import Proxy, Till, flask

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


class AnswerLostOnce(Proxy):
    """Forwards to HQ; HQ applies the first push that carries changes, but its answer never reaches the store,
    which sends the same changes again on its next round."""

    def __init__(self, target: str):
        self.lost = False
        super().__init__(target)

    def answer(self, method, path, body, headers):
        answer = self.forward(method, path, body, headers)
        if path.startswith("/api/v1/sync/push") and not self.lost and re.search(rb'"entity":\s*"sale"', body):
            self.lost = True
            return 504, b'{"title": "gateway timeout"}', "application/problem+json"
        return answer


def hq_rows(chain, statement):
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    engine.dispose()
    return rows


def test_a_promised_unit_sold_anyway_is_one_incident_at_hq_whose_proposal_moves_the_promise(chain):
    """S2 confirmed 4 of a SKU and HQ promised all four to a web order; a manager at S2's till sells one anyway.
    HQ, applying that sale (sent twice: its first answer was lost), opens exactly one promise conflict with a
    proposal from real levels — the warehouse W1 has three to offer — and a manager applies it at HQ: the order
    now takes one unit from W1, S2's till learns it holds three, and no level went negative."""
    from pos.stock.models import Reservation, ReservationLine
    from pos.stores.models import Location
    from sync.promises.models import PromiseConflict

    sku = "SKU-000012"
    s2 = Till(chain.stores["S2"])
    s2.open_shift()
    s2.call("POST", "/api/v1/stock/receipts", json={"reference": "WZ/12", "lines": [{"sku": sku, "quantity": 4}]},
            headers={"Idempotency-Key": "wz-12"})
    chain.sync_once("S2")
    flask(chain.hq.env, "stock", "add-location", "W1", "Magazyn", "--kind", "warehouse")
    office = Till(chain.hq)
    office.call("POST", "/api/v1/stock/receipts", json={"location": "W1", "reference": "PZ/1",
                                                        "lines": [{"sku": sku, "quantity": 3}]},
                headers={"Idempotency-Key": "pz-1"})
    web = web_shop(chain)
    answer = web.post(chain.hq.url + "/api/v1/reservations", timeout=30,
                      headers={"Idempotency-Key": str(uuid.uuid4())},
                      json={"channel": "webshop", "reference": "web-4711", "ttl_seconds": 3600,
                            "lines": [{"sku": sku, "quantity": 4}]})
    assert answer.status_code == 201, answer.text
    order = answer.json()
    chain.sync_once("S2")
    level = s2.call("GET", "/api/v1/stock/levels", params={"sku": sku})["items"][0]
    assert (level["on_hand"], level["held_by_hq"], level["free_at_till"]) == (4, 4, 0)

    basket = s2.call("POST", "/api/v1/baskets", json={})
    basket = s2.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": sku, "quantity": 1})
    s2.call("POST", f"/api/v1/baskets/{basket['id']}/checkout", expect=(201,),
            json={"payments": [{"method": "card", "amount": basket["total"]}],
                  "approval": {"login": "boss", "pin": "9999"}})  # the customer has it in hand
    proxy = AnswerLostOnce(chain.hq.url)
    try:
        flask({**chain.stores["S2"].env, "POS_HQ_URL": proxy.url}, "sync", "once", check=False)
    finally:
        proxy.close()
    assert proxy.lost
    assert "already there" in chain.sync_once("S2").stdout  # the same sale again: HQ knows it by its id

    boss = requests.Session()
    login = boss.post(chain.hq.url + "/api/v1/auth/login", json={"login": "boss", "pin": "9999", "terminal": "T1"})
    boss.headers["Authorization"] = "Bearer " + login.json()["token"]
    store_token = {"Authorization": "Bearer " + chain.tokens["S2"]}
    assert requests.get(chain.hq.url + "/api/v1/promise-conflicts", headers=store_token, timeout=30).status_code == 403
    listed = boss.get(chain.hq.url + "/api/v1/promise-conflicts", timeout=30).json()["items"]
    assert len(listed) == 1, listed
    incident = listed[0]
    assert (incident["store"], incident["sku"], incident["on_hand"], incident["promised"], incident["short"]) == (
        "S2", sku, 3, 4, 1)
    assert [r["reference"] for r in incident["reservations"]] == ["web-4711"]
    assert [(s["action"], s["quantity"], s["from"], s["to"]) for s in incident["proposal"]["steps"]] == [
        ("re-source", 1, "S2", "W1")]

    shown = flask(chain.hq.env, "promises", "list")
    assert incident["id"] in shown.stdout and "W1" in shown.stdout
    applied = flask(chain.hq.env, "promises", "apply", incident["id"], "--manager", "boss", "--note", "W1 ships one",
                    input="9999\n")
    assert "applied" in applied.stdout, applied.stdout

    lines = hq_rows(chain, select(Location.code, ReservationLine.quantity)
                    .join(Location, Location.id == ReservationLine.location_id)
                    .where(ReservationLine.reservation_id == uuid.UUID(order["id"])).order_by(Location.code))
    assert [tuple(row) for row in lines] == [("S2", 3), ("W1", 1)]
    assert hq_rows(chain, select(Reservation.status).where(Reservation.id == uuid.UUID(order["id"]))) == [("held",)]
    levels = {code: (on_hand, reserved) for code, on_hand, reserved in hq_rows(
        chain, select(Location.code, StockLevel.on_hand, StockLevel.reserved)
        .join(Location, Location.id == StockLevel.location_id).join(Product, Product.id == StockLevel.product_id)
        .where(Product.sku == sku))}
    assert levels == {"S2": (3, 3), "W1": (3, 1)}
    assert [tuple(r) for r in hq_rows(chain, select(PromiseConflict.status))] == [("applied",)]
    chain.sync_once("S2")
    level = s2.call("GET", "/api/v1/stock/levels", params={"sku": sku})["items"][0]
    assert (level["on_hand"], level["held_by_hq"], level["free_at_till"]) == (3, 3, 0)
