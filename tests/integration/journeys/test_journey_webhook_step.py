"""A journey's webhook step reaches a real receiver on 127.0.0.1, signed, once: the shop subscribes to
`journey.step` and tells steps apart by the name each definition gives its step."""
from __future__ import annotations

import datetime as dt

from pos.db import utcnow
from sync.webhooks.delivery import RetryPolicy, deliver_due
from tests.conftest import login
from tests.integration.journeys.test_nps_and_apology import customer_buys_and_returns
from tests.integration.stock.conftest import Shop, make_key
from tests.integration.stock.test_webhooks import Receiver, subscribe

TELL_THE_CRM = {"name": "Tell the CRM about returns", "trigger": {"kind": "return"}, "reentry": "allow",
                "steps": [{"type": "webhook", "event": "crm.return_follow_up"}]}


def test_a_webhook_step_is_delivered_signed_exactly_once(app, client, till, worker):
    boss = login(client, "boss", "9999")
    saved = boss.put("/api/v1/journeys/tell_the_crm", json=TELL_THE_CRM)
    assert saved.status_code in (200, 201), saved.get_json()
    shop = Shop(client, make_key(app))
    with Receiver() as receiver:
        subscribe(shop, receiver.url, ["journey.step"])
        customer_id = customer_buys_and_returns(till, "+48 601 222 333", "marta@example.pl")
        now = utcnow()
        worker.round(now + dt.timedelta(minutes=1))
        worker.round(now + dt.timedelta(minutes=2))  # a second round sends nothing twice
        policy = RetryPolicy(allow_private_targets=True)
        assert deliver_due(app.extensions["pos.db"], policy)["delivered"] == 1
        assert deliver_due(app.extensions["pos.db"], policy)["delivered"] == 0
    assert receiver.bad_signatures == 0
    [event] = receiver.events
    assert event["type"] == "journey.step"
    assert event["data"]["name"] == "crm.return_follow_up"
    assert event["data"]["journey"] == "tell_the_crm"
    assert event["data"]["customer"]["id"] == customer_id


def test_a_webhook_step_name_must_be_one_a_receiver_can_match(app, client):
    boss = login(client, "boss", "9999")
    bad = {**TELL_THE_CRM, "steps": [{"type": "webhook", "event": "Return Follow Up!"}]}
    refused = boss.put("/api/v1/journeys/tell_the_crm", json=bad)
    assert refused.status_code == 422
    assert "steps" in str(refused.get_json())
