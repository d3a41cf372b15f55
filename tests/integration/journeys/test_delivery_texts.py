"""Delivery texts from the courier's status reports, sent through the SMSAPI.pl adapter to a fake gateway on
127.0.0.1 that checks every request as SMSAPI documents it; two days after delivery a call-centre task."""
from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from pos.customers.models import Customer
from pos.db import utcnow
from sync.journeys.models import JourneyTask
from sync.journeys.sms import SmsApiGateway
from tests.conftest import login, make_test_app, seed_store
from tests.integration.dispatch.conftest import Dispatch
from tests.integration.journeys.conftest import JOURNEY_CONFIG, Worker

TOKEN = "test-oauth-token"
FIELDS = {"to", "message", "from", "encoding", "format", "idx", "check_idx"}


class FakeSmsApi(BaseHTTPRequestHandler):
    """POST /sms.do, Bearer token, form-encoded fields; idx with check_idx=1 refuses a second send."""

    sent: list = []
    problems: list = []

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode(),
                                     strict_parsing=True)
        fields = {key: values[0] for key, values in form.items()}
        wrong = []
        if self.path != "/sms.do":
            wrong.append(f"path {self.path}")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            wrong.append("authorization")
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            wrong.append("content type")
        if set(fields) - FIELDS or any(len(v) != 1 for v in form.values()):
            wrong.append(f"fields {sorted(set(fields) - FIELDS)}")
        if not fields.get("to", "").isdigit() or not fields.get("message"):
            wrong.append("to/message")
        if fields.get("encoding") != "utf-8" or fields.get("format") != "json" or fields.get("check_idx") != "1":
            wrong.append("encoding/format/check_idx")
        if not 0 < len(fields.get("idx", "")) <= 255:
            wrong.append("idx")
        if wrong:
            self.problems.append(wrong)
            return self._answer(200, {"error": 13, "message": "; ".join(wrong)})
        if any(s["idx"] == fields["idx"] for s in self.sent):
            return self._answer(200, {"error": 53, "message": "idx already used"})
        self.sent.append(fields)
        return self._answer(200, {"count": 1, "list": [{"id": f"m{len(self.sent)}", "points": 0.16,
                                                          "number": fields["to"], "status": "QUEUE",
                                                          "idx": fields["idx"]}]})


@pytest.fixture
def gateway():
    FakeSmsApi.sent, FakeSmsApi.problems = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSmsApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(database_url, tmp_path, pin_hashes, smtp, gateway):
    app = make_test_app(database_url, tmp_path, **JOURNEY_CONFIG, POS_SMTP_PORT=smtp.port,
                        POS_SMS_GATEWAY="smsapi", POS_SMSAPI_URL=gateway, POS_SMSAPI_TOKEN=TOKEN)
    seed_store(app, pin_hashes, product_count=5)
    yield app
    app.extensions["pos.db"].dispose()


def test_courier_reports_become_texts_and_a_follow_up_task(app, client):
    worker = Worker(app)
    dispatch = Dispatch(login(client, "boss", "9999"))
    ewa = dispatch.courier("Ewa")
    with app.extensions["pos.db"].unit_of_work() as uow:
        customer = Customer(name="Zofia", phone="+48600100200", origin="store:S1")  # no marketing consent
        uow.session.add(customer)
        uow.commit()
    delivery = dispatch.delivery(customer_id=str(customer.id), date=dispatch.day(0).isoformat(),
                                 source="store_sale", source_ref="sale-1", recipient="Zofia", phone="+48600100200",
                                 window_start="10:00", window_end="12:00")
    dispatch.plan()
    start = utcnow()
    assert dispatch.report(ewa, delivery["id"], "picked_up").status_code == 200
    worker.round(start)
    worker.round(start + dt.timedelta(seconds=1))  # a second round sends nothing again
    [on_the_way] = FakeSmsApi.sent
    assert on_the_way["to"] == "48600100200" and "10:00" in on_the_way["message"] and "12:00" in on_the_way["message"]
    assert on_the_way["message"].startswith("Twoja paczka")

    assert dispatch.report(ewa, delivery["id"], "delivered").status_code == 200
    worker.round(start + dt.timedelta(minutes=1))
    assert FakeSmsApi.sent[1]["message"] == "Paczka doręczona. Dziękujemy za zakupy!"
    assert FakeSmsApi.problems == []

    worker.round(start + dt.timedelta(days=1))
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert list(uow.session.scalars(select(JourneyTask))) == []
    worker.round(start + dt.timedelta(days=2, minutes=2))
    worker.round(start + dt.timedelta(days=2, minutes=3))
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        [task] = uow.session.scalars(select(JourneyTask))
    assert task.queue == "call_centre" and task.customer_id == customer.id and task.status == "open"
    assert task.context["event"]["details"]["status"] == "delivered"
    assert len(FakeSmsApi.sent) == 2

    agent = login(client)  # the call centre works the queue with a staff login
    [queued] = agent.get("/api/v1/call-centre/tasks?queue=call_centre").get_json()["items"]
    assert queued["id"] == str(task.id) and any(e["kind"] == "delivery" for e in queued["context"]["timeline"])
    bad = agent.post(f"/api/v1/call-centre/tasks/{task.id}/outcome", json={"outcome": "maybe"})
    assert bad.status_code == 422
    done = agent.post(f"/api/v1/call-centre/tasks/{task.id}/outcome", json={"outcome": "reached_happy", "note": "ok"})
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert agent.get("/api/v1/call-centre/tasks").get_json()["items"] == []
    timeline = agent.get(f"/api/v1/customers/{customer.id}").get_json()["timeline"]
    assert [e["details"]["status"] for e in timeline if e["kind"] == "task"] == ["reached_happy"]


def test_a_resend_after_a_crash_carries_the_same_idx_and_the_gateway_refuses_it(gateway):
    FakeSmsApi.sent = []
    sms = SmsApiGateway(gateway, TOKEN)
    assert sms.send("+48600100200", "Test", "run:1").startswith("smsapi m1")
    assert sms.send("+48600100200", "Test", "run:1") == "smsapi: already sent under this idx"
    assert len(FakeSmsApi.sent) == 1
    refused = SmsApiGateway(gateway, "wrong-token")
    with pytest.raises(Exception, match="SMSAPI error 13"):
        refused.send("+48600100200", "Test", "run:2")
