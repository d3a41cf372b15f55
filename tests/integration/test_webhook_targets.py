"""Webhook targets: HQ never posts into its own network unless the operator allows it, and what a target
answers is never shown back through the API."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.webhooks.delivery import RetryPolicy, deliver_due
from sync.webhooks.jobs import queue_feed_events
from tests.integration.stock.conftest import shop  # noqa: F401  (the fixture)
from tests.integration.stock.test_webhooks import sell_to_customer

LEAK = "internal-secret-from-the-target"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://172.16.5.5/hook", "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/hook", "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/x",
    "http://2130706433/hook", "http://user:pw@93.184.216.34/hook", "ftp://93.184.216.34/hook", "http:///nohost",
])
def test_private_and_metadata_targets_are_refused(app, shop, url):
    app.config["POS_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    response = shop.post("/api/v1/webhooks/subscriptions", {"url": url, "events": ["stock.changed"]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["invalid_params"][0]["name"] == "url"
    assert shop.get("/api/v1/webhooks/subscriptions").get_json()["items"] == []


class Leaky:
    """A target that answers 500 with something it should not have said."""

    def __init__(self):
        self.hits = 0
        leaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                leaky.hits += 1
                self.rfile.read(int(self.headers["Content-Length"]))
                body = LEAK.encode()
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_refused_target_gets_nothing_and_a_body_is_never_echoed(app, till, shop):
    target = Leaky()
    try:
        # subscribed while the operator allowed private targets …
        created = shop.post("/api/v1/webhooks/subscriptions", {"url": target.url, "events": ["customer.purchased"]})
        assert created.status_code == 201, created.get_json()
        sell_to_customer(app, till)
        queue_feed_events(app)
        db = app.extensions["pos.db"]
        # … delivered while allowed: the target's 500 body stays out of the API
        assert deliver_due(db, RetryPolicy(allow_private_targets=True))["retrying"] == 1
        assert target.hits == 1
        import datetime as dt
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
        # … then no longer allowed: checked again before the POST, nothing is sent
        assert deliver_due(db, RetryPolicy(), now=later)["retrying"] == 1
        assert target.hits == 1
        listed = shop.get("/api/v1/webhooks/deliveries").get_data(as_text=True)
        assert LEAK not in listed
        items = shop.get("/api/v1/webhooks/deliveries").get_json()["items"]
        assert items[0]["last_status_code"] is None and "target refused" in items[0]["last_error"]
    finally:
        target.server.shutdown()
        target.server.server_close()
