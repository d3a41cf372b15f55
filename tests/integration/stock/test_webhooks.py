"""Webhooks to a real HTTP receiver on 127.0.0.1 that checks every signature."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.webhooks.delivery import RetryPolicy, deliver_due
from sync.webhooks.jobs import queue_feed_events
from tests.integration.stock.conftest import Shop, make_key

SECRET = "receiver-secret-0123456789"


class Receiver:
    def __init__(self, fail_first: int = 0):
        self.events, self.bad_signatures, self.fail_first = [], 0, fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                parts = dict(p.split("=", 1) for p in self.headers["X-POS-Signature"].split(","))
                expected = hmac.new(SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, parts["v1"]):
                    receiver.bad_signatures += 1
                    self.send_response(400)
                elif receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                else:
                    receiver.events.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def subscribe(shop, url, events):
    response = shop.post("/api/v1/webhooks/subscriptions", {"url": url, "events": events, "secret": SECRET})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sell_to_customer(app, till):
    from pos.customers.models import Customer
    with app.extensions["pos.db"].unit_of_work() as uow:
        customer = Customer(name="Jan", email="jan@example.pl", phone="+48601000001")
        uow.session.add(customer)
        uow.commit()
        customer_id = str(customer.id)
    basket = till.post("/api/v1/baskets", json={"customer_id": customer_id}).get_json()["id"]
    line = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000001", "quantity": 2}).get_json()
    sale = till.post(f"/api/v1/baskets/{basket}/checkout",
                     json={"payments": [{"method": "card", "amount": line["total"]}]})
    assert sale.status_code == 201, sale.get_json()
    return customer_id, sale.get_json()


def test_store_sale_return_and_stock_change_reach_the_receiver_signed(app, till, shop):
    from sync.stock.jobs import publish_availability
    publish_availability(app)  # what the shop already mirrors
    with Receiver() as receiver:
        subscribe(shop, receiver.url, ["customer.purchased", "return.created", "stock.changed"])
        customer_id, sale = sell_to_customer(app, till)
        refund = till.post("/api/v1/returns", json={
            "sale_id": sale["id"], "lines": [{"sale_line_id": sale["lines"][0]["id"], "quantity": 1}],
            "approval": {"login": "boss", "pin": "9999"}, "reason": "too big"})
        assert refund.status_code == 201, refund.get_json()
        queue_feed_events(app)
        publish_availability(app)
        counts = deliver_due(app.extensions["pos.db"], RetryPolicy(allow_private_targets=True))
        assert receiver.bad_signatures == 0
        by_type = {e["type"]: e for e in receiver.events}
        assert counts["delivered"] == len(receiver.events)
        assert by_type["customer.purchased"]["data"]["customer"]["email"] == "jan@example.pl"
        assert by_type["customer.purchased"]["data"]["channel"] == "store:S1"
        assert by_type["return.created"]["data"]["customer"]["id"] == customer_id
        stock = [e["data"] for e in receiver.events if e["type"] == "stock.changed"]
        assert {(d["channel"], d["sku"], d["available"], d["previous"]) for d in stock} >= {
            ("webshop", "SKU-000001", 99, 100), ("collect:S1", "SKU-000001", 99, 100), ("allegro", "SKU-000001", 98, 99)}
        assert {d["sku"] for d in stock} == {"SKU-000001"}
        queue_feed_events(app)  # the cursor moved: nothing twice
        assert deliver_due(app.extensions["pos.db"], RetryPolicy(allow_private_targets=True))["delivered"] == 0


def test_failed_deliveries_are_retried_with_backoff_then_listed(app, till, shop):
    policy = RetryPolicy(max_attempts=3, backoff_seconds=30, timeout_seconds=5, allow_private_targets=True)
    db = app.extensions["pos.db"]
    with Receiver(fail_first=1) as receiver:
        working = subscribe(shop, receiver.url, ["customer.purchased"])
        sell_to_customer(app, till)
        queue_feed_events(app)
        now = dt.datetime.now(dt.timezone.utc)
        assert deliver_due(db, policy, now=now)["retrying"] == 1
        assert deliver_due(db, policy, now=now)["delivered"] == 0  # not due before the backoff
        assert deliver_due(db, policy, now=now + dt.timedelta(seconds=31))["delivered"] == 1
        assert len(receiver.events) == 1
    gone = shop.client.delete(f"/api/v1/webhooks/subscriptions/{working['id']}", headers=shop.headers())
    assert gone.status_code == 200 and gone.get_json()["active"] is False
    dead = subscribe(shop, "http://127.0.0.1:9/nothing-listens", ["customer.purchased"])
    from sync.webshop.orders import record_order  # a web order also tells subscribers
    from sync.webshop.schemas import WebOrderIn
    with db.unit_of_work() as uow:
        record_order(uow.session, WebOrderIn(order_id="W-1", channel="webshop", currency="PLN",
                                          customer={"email": "a@b.pl"}, lines=[{"sku": "SKU-000002", "quantity": 1,
                                                                                 "unit_price": 100}],
                                          delivery={"method": "delivery"}), "PL")
        uow.commit()
    later = dt.datetime.now(dt.timezone.utc)
    for step in range(3):
        deliver_due(db, policy, now=later + dt.timedelta(days=step))
    failed = shop.get("/api/v1/webhooks/deliveries?status=failed").get_json()["items"]
    assert [(d["subscription_id"], d["attempts"], d["event"]) for d in failed] == [
        (dead["id"], 3, "customer.purchased")]
    assert "ConnectionError" in failed[0]["last_error"]


@pytest.mark.parametrize("header_ok", [True, False])
def test_signature_helper_verifies_and_rejects(header_ok):
    from sync.webhooks.signing import sign, verify
    body = b'{"a":1}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    if not header_ok:
        header = header[:-1] + ("0" if header[-1] != "0" else "1")
    assert verify(SECRET, header, body, now=1_700_000_100) is header_ok
    assert verify(SECRET, header, body, now=1_700_001_000) is False  # too old either way
