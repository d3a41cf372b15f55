"""Journeys in the back office (SQLite and PostgreSQL): the list with who each would reach, a definition
previewed, refused, saved as a new version and switched off with the manager's PIN (audited), the messages
the journeys sent as the customer read them (the demo has no mail server), and the call centre's queue."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import select

from pos.db import utcnow
from pos.staff.models import AuditEntry
from sync.journeys.models import Journey, JourneyTask
from tests.conftest import login
from tests.integration.journeys.conftest import Worker
from tests.integration.journeys.test_nps_and_apology import customer_buys_and_returns
from tests.integration.office.test_office_pages import csrf_token, english, sign_in

NPS = "/office/journeys/return_nps"


def nps_definition(**changes) -> str:
    definition = {"name": "NPS survey after a return", "trigger": {"kind": "return"}, "reentry": "allow",
                  "steps": [{"type": "wait", "seconds": 86400},
                            {"type": "email", "template": "nps_survey", "purpose": "transactional"}]}
    return json.dumps({**definition, **changes})


def post(client, path: str, **fields):
    token = csrf_token(client.get(NPS).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def test_journeys_are_listed_previewed_edited_and_switched_off(app, client):
    till = login(client)
    till.post("/api/v1/shifts", json={"opening_float": 0})
    customer_buys_and_returns(till, "+48 601 555 666", "ola@example.pl")
    office = english(app)
    sign_in(office)

    listed = office.get("/office/journeys").get_data(as_text=True)
    assert "NPS survey after a return" in listed and "Abandoned cart reminders" in listed
    assert "wait → e-mail" in listed

    page = office.get(NPS).get_data(as_text=True)
    assert "1 customers" in page  # the return just made

    narrower = nps_definition(conditions=[{"path": "channel", "op": "==", "value": "webshop"}])
    preview = post(office, f"{NPS}/preview", definition=narrower).get_data(as_text=True)
    assert "0 customers" in preview and "webshop" in preview  # the edited text stays in the form

    broken = post(office, NPS, definition='{"name": "x", "steps": [', pin="9999")
    assert broken.status_code == 422 and "not valid JSON" in broken.get_data(as_text=True)
    wrong = post(office, NPS, definition=nps_definition(steps=[{"type": "wait", "seconds": -5}]), pin="9999")
    assert wrong.status_code == 422 and "would not run" in wrong.get_data(as_text=True)
    no_pin = post(office, NPS, definition=narrower, pin="")
    assert no_pin.status_code == 422 and "Type your PIN" in no_pin.get_data(as_text=True)

    saved = post(office, NPS, definition=narrower, pin="9999")
    assert saved.status_code == 302
    off = post(office, NPS, definition=narrower, pin="9999", switch="off")
    assert off.status_code == 302
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        versions = uow.session.scalars(select(Journey).where(Journey.key == "return_nps")
                                       .order_by(Journey.version)).all()
        audit = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.subject == "journey return_nps")).all()
    assert [(v.version, v.active, v.created_by) for v in versions] == [(1, True, "defaults"), (2, True, "boss"),
                                                                       (3, False, "boss")]
    assert versions[1].definition["conditions"][0]["value"] == "webshop"
    assert sorted(audit) == ["journey_save", "journey_switch"]  # the refused attempts wrote nothing

    cashier = english(app)
    sign_in(cashier, "demo", "1234")
    assert cashier.get("/office/journeys").status_code == 403


def test_the_messages_the_journeys_sent_are_shown_as_the_customer_read_them(app, client):
    till = login(client)
    till.post("/api/v1/shifts", json={"opening_float": 0})
    start = utcnow()
    customer_buys_and_returns(till, "+48 601 777 888", "jan@example.pl")
    worker = Worker(app)  # no POS_SMTP_HOST: the demo's way, e-mails are kept, not sent anywhere
    worker.round(start + dt.timedelta(days=1, minutes=1))
    office = english(app)
    sign_in(office)
    listed = office.get("/office/messages?kind=email").get_data(as_text=True)
    assert "return_nps" in listed and "sent" in listed
    link = listed.split('href="/office/messages/')[1].split('"')[0]
    message = office.get(f"/office/messages/{link}").get_data(as_text=True)
    assert "/journeys/survey/" in message  # the survey link the customer got
    assert "No messages match" in office.get("/office/messages?kind=sms").get_data(as_text=True)


def test_the_call_centre_closes_a_task_with_an_outcome_on_the_customers_timeline(app, client):
    till = login(client)
    created = till.post("/api/v1/customers", json={"name": "Iva", "phone": "+420 601 123 456"}).get_json()
    with app.extensions["pos.db"].unit_of_work() as uow:
        task = JourneyTask(idempotency_key="test:call", queue="call_centre", customer_id=uuid.UUID(created["id"]),
                           title="Follow up a delivery", context={}, status="open", outcome="")
        uow.session.add(task)
        uow.commit()
        task_id = task.id
    office = english(app)
    sign_in(office)
    queue = office.get("/office/call-centre").get_data(as_text=True)
    assert "Follow up a delivery" in queue
    token = csrf_token(queue)
    assert office.post(f"/office/call-centre/{task_id}", data={"csrf_token": token, "outcome": "maybe"}).status_code == 422
    done = office.post(f"/office/call-centre/{task_id}", data={"csrf_token": token, "outcome": "reached_happy",
                                                               "note": "All fine"})
    assert done.status_code == 302
    assert "No calls waiting" in office.get("/office/call-centre").get_data(as_text=True)
    timeline = till.get(f"/api/v1/customers/{created['id']}").get_json()["timeline"]
    [call] = [e for e in timeline if e["channel"] == "call_centre"]
    assert call["details"]["status"] == "reached_happy" and call["details"]["agent"] == "boss"
