"""End to end at HQ over real HTTP: a till sale through the checkout API reaches every fake marketplace
as the new figure through the worker's own jobs; a marketplace order for the last piece reserves it,
the web shop then has none to sell, every channel hears 0, and a second order for it is an incident."""
from __future__ import annotations

import requests

from sync.jobs import jobs_for
from sync.stock.channels import configure_channel
from tests.integration.channels.conftest import listing_ids, set_on_hand, sku
from tests.integration.stock.conftest import make_key
from tests.integration.stock.served import served

CHANNELS = ("allegro", "amazon", "ebay", "shopify")


def run_job(app, job_id: str) -> str:
    job = next(j for j in jobs_for(app.config["POS_ROLE"]) if j.id == job_id)
    return job.run(app)


class HttpTill:
    def __init__(self, url: str):
        self.url, self.http = url, requests.Session()
        answer = self.http.post(url + "/api/v1/auth/login", json={"login": "demo", "pin": "1234", "terminal": "T1"})
        assert answer.status_code == 201, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        assert self.http.post(url + "/api/v1/shifts", json={"opening_float": 10000}).status_code == 201

    def sell(self, sku_code: str, quantity: int = 1) -> dict:
        basket = self.http.post(self.url + "/api/v1/baskets", json={}).json()["id"]
        line = self.http.post(f"{self.url}/api/v1/baskets/{basket}/lines", json={"sku": sku_code, "quantity": quantity})
        assert line.status_code == 201, line.text
        paid = self.http.post(f"{self.url}/api/v1/baskets/{basket}/checkout",
                              json={"payments": [{"method": "cash", "amount": line.json()["total"]}]})
        assert paid.status_code == 201, paid.text
        return paid.json()


def test_a_till_sale_reaches_every_channel_and_the_last_piece_sold_online_empties_the_web_shop(hq, fakes):
    with hq.extensions["pos.db"].unit_of_work() as uow:
        configure_channel(uow.session, "allegro", buffer=0)  # Allegro may sell the very last piece
        uow.commit()
    key = make_key(hq)
    with served(hq) as url:
        till = HttpTill(url)
        run_job(hq, "push_to_channels")
        assert fakes.shown(0) == {"allegro": 100, "amazon": 99, "ebay": 99, "shopify": 99}
        sale = till.sell(sku(0), 2)
        assert sale["receipt_number"] == 1
        run_job(hq, "push_to_channels")
        assert fakes.shown(0) == {"allegro": 98, "amazon": 97, "ebay": 97, "shopify": 97}

        set_on_hand(hq, sku(3), 3)
        till.sell(sku(3), 2)  # one piece left at the store
        run_job(hq, "push_to_channels")
        assert fakes.shown(3) == {"allegro": 1, "amazon": 0, "ebay": 0, "shopify": 0}
        shop = requests.Session()
        shop.headers["Authorization"] = f"Bearer {key}"

        def webshop_available() -> int:
            answer = shop.get(f"{url}/api/v1/availability", params={"channel": "webshop", "sku": sku(3)})
            assert answer.status_code == 200, answer.text
            return answer.json()["items"][0]["available"]

        assert webshop_available() == 1
        last = fakes.allegro.add_order([(listing_ids(3)["allegro"], 1, "49.00", "PLN")])
        assert "allegro: {'reserved': 1}" in run_job(hq, "pull_channel_orders")
        assert webshop_available() == 0
        run_job(hq, "push_to_channels")
        assert fakes.shown(3) == {c: 0 for c in CHANNELS}
        assert fakes.allegro.offers[listing_ids(3)["allegro"]]["status"] == "ENDED"

        too_late = fakes.ebay.add_order([(listing_ids(3)["ebay"], 1, "11.00", "EUR")])
        assert "ebay: {'oversold': 1}" in run_job(hq, "pull_channel_orders")
        boss = requests.Session()
        token = boss.post(url + "/api/v1/auth/login", json={"login": "boss", "pin": "9999", "terminal": "T2"}).json()
        boss.headers["Authorization"] = f"Bearer {token['token']}"
        incidents = boss.get(url + "/api/v1/incidents").json()["items"]
        assert [(i["channel_order_id"], i["sku"], i["suggestion"]["action"]) for i in incidents] == [
            (too_late, sku(3), "cancel")]
        status = boss.get(url + "/api/v1/channels/status").json()
        assert status["open_incidents"] == 1
        assert {c["channel"]: c["orders_total"] for c in status["channels"]} == {
            "allegro": 1, "amazon": 0, "ebay": 1, "shopify": 0}
        assert all(c["last_push_at"] and c["last_pull_at"] and c["backlog"] == 0 for c in status["channels"])
    assert last
