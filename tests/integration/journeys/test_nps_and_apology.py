"""A return → an NPS survey by e-mail in the customer's language, a signed link to a page served by the node;
the answer lands on the timeline; a detractor (0–6) gets one apology coupon, exactly once even with two
workers racing."""
from __future__ import annotations

import datetime as dt
import re
import threading

from sqlalchemy import func, select

from pos.db import utcnow
from sync.journeys.models import JourneyCoupon, JourneyOutbox
from tests.conftest import make_test_app
from tests.integration.journeys.conftest import JOURNEY_CONFIG, Worker
from tests.integration.test_selling import new_basket

BOSS = {"login": "boss", "pin": "9999"}
DAY = dt.timedelta(days=1)


def customer_buys_and_returns(till, phone: str, email: str) -> str:
    created = till.post("/api/v1/customers", json={"name": "Olena", "phone": phone, "email": email})
    assert created.status_code == 201, created.get_json()
    customer_id = created.get_json()["id"]
    basket = new_basket(till)
    till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000004", "quantity": 1})
    sale = till.post(f"/api/v1/baskets/{basket}/checkout",
                     json={"payments": [{"method": "cash", "amount": 10**6}], "customer_id": customer_id})
    assert sale.status_code == 201, sale.get_json()
    line = sale.get_json()["lines"][0]
    returned = till.post("/api/v1/returns", json={"sale_id": sale.get_json()["id"], "approval": BOSS,
                                                  "lines": [{"sale_line_id": line["id"], "quantity": 1}]})
    assert returned.status_code == 201, returned.get_json()
    return customer_id


def test_return_survey_answer_on_the_timeline_and_one_apology_coupon(app, client, till, worker, smtp):
    start = utcnow()
    customer_id = customer_buys_and_returns(till, "+380 67 123 4567", "olena@example.ua")
    worker.round(start + DAY / 2)
    assert smtp.messages == []  # the survey waits a day
    worker.round(start + DAY + dt.timedelta(minutes=1))
    [survey] = smtp.messages
    assert survey["Subject"] == "Чи порадили б ви нас?"  # Ukrainian, from the phone's country
    assert survey["List-Unsubscribe"] is None  # transactional: no marketing consent asked, none to withdraw
    url = re.search(r"http://shop.test(/journeys/survey/\S+)", survey.get_body(("plain",)).get_content()).group(1)

    page = client.get(url)
    assert page.status_code == 200 and 'lang="uk"' in page.get_data(as_text=True)
    assert client.get(url[:-3] + "xyz").status_code == 404  # a link someone altered
    assert client.post(url, data={"score": "11"}).status_code == 422
    assert client.post(url, data={"score": "3", "comment": "Довго чекала"}).status_code == 200
    again = client.post(url, data={"score": "10"})
    assert "Ви вже відповіли" in again.get_data(as_text=True)

    timeline = till.get(f"/api/v1/customers/{customer_id}").get_json()["timeline"]
    [answer] = [e for e in timeline if e["kind"] == "survey"]
    assert answer["details"]["score"] == 3 and answer["details"]["comment"] == "Довго чекала"

    worker.round(start + DAY + dt.timedelta(minutes=2))
    worker.round(start + DAY + dt.timedelta(minutes=3))
    apology = smtp.messages[1]
    assert apology["Subject"] == "Перепрошуємо: купон для вас" and len(smtp.messages) == 2
    timeline = till.get(f"/api/v1/customers/{customer_id}").get_json()["timeline"]
    [coupon] = [e for e in timeline if e["kind"] == "coupon"]  # the manager sees it
    assert coupon["reference"] in apology.get_body(("plain",)).get_content()
    assert coupon["details"]["amount"] == 2000 and coupon["details"]["currency"] == "PLN"


def test_a_promoter_gets_no_coupon(app, client, till, worker, smtp):
    start = utcnow()
    customer_buys_and_returns(till, "+48 601 200 300", "adam@example.pl")
    worker.round(start + DAY + dt.timedelta(minutes=1))
    [survey] = smtp.messages
    url = re.search(r"http://shop.test(/journeys/survey/\S+)", survey.get_body(("plain",)).get_content()).group(1)
    assert client.post(url, data={"score": "9"}).status_code == 200
    worker.round(start + DAY + dt.timedelta(minutes=2))
    assert len(smtp.messages) == 1
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(JourneyCoupon)) == 0


def test_two_workers_racing_issue_each_detractor_exactly_one_coupon_and_mail(app, database_url, tmp_path, client,
                                                                               till, smtp):
    from pos.customers.services import record_interaction
    people = 12
    start = utcnow()
    with app.extensions["pos.db"].unit_of_work() as uow:
        from pos.customers.services import create
        for n in range(people):
            customer, _ = create(uow.session, {"name": f"K{n}", "email": f"k{n}@example.pl"}, origin="store:S1")
            # What the survey page records for an answer of 2.
            record_interaction(uow.session, customer.id, "survey", "survey", f"r{n}", {"score": 2, "comment": ""})
        uow.commit()
    # Two workers: each its own app, engine and connections, started at the same moment.
    apps = [make_test_app(database_url, tmp_path / f"w{i}", **JOURNEY_CONFIG, POS_SMTP_PORT=smtp.port)
            for i in range(2)]
    workers = [Worker(a) for a in apps]
    barrier = threading.Barrier(2)
    errors = []

    def work(worker):
        try:
            barrier.wait()
            for minute in range(3):
                worker.round(start + dt.timedelta(minutes=minute))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for a in apps:
        a.extensions["pos.db"].dispose()
    assert errors == []
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"k{n}@example.pl" for n in range(people))
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        coupons = uow.session.scalar(select(func.count(func.distinct(JourneyCoupon.customer_id))))
        total = uow.session.scalar(select(func.count()).select_from(JourneyCoupon))
        sent = list(uow.session.scalars(select(JourneyOutbox.status)))
    assert coupons == total == people
    assert sent == ["sent"] * people


def test_export_and_erasure_of_what_journeys_keep(app, client, till, worker, smtp):
    from tests.conftest import login
    start = utcnow()
    customer_id = customer_buys_and_returns(till, "+48 601 300 400", "ola@example.pl")
    worker.round(start + DAY + dt.timedelta(minutes=1))
    url = re.search(r"http://shop.test(/journeys/survey/\S+)",
                    smtp.messages[0].get_body(("plain",)).get_content()).group(1)
    assert client.post(url, data={"score": "2", "comment": "Sprzedawca był niemiły"}).status_code == 200
    worker.round(start + DAY + dt.timedelta(minutes=2))
    boss = login(client, "boss", "9999")
    assert till.get(f"/api/v1/journeys/customers/{customer_id}/export").status_code == 403
    export = boss.get(f"/api/v1/journeys/customers/{customer_id}/export").get_json()
    assert export["survey_answers"][0]["comment"] == "Sprzedawca był niemiły"
    assert [m["status"] for m in export["messages"]] == ["sent", "sent"] and len(export["coupons"]) == 1

    erased = till.post(f"/api/v1/customers/{customer_id}/erase", json={"approval": BOSS, "reason": "asked"})
    assert erased.status_code == 200, erased.get_json()
    worker.round(start + DAY + dt.timedelta(minutes=3))
    export = boss.get(f"/api/v1/journeys/customers/{customer_id}/export").get_json()
    assert export["survey_answers"][0]["comment"] == "" and export["survey_answers"][0]["score"] == 2
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        from sync.journeys.models import JourneyRun
        kept = [str(r.context) for r in uow.session.scalars(select(JourneyRun))]
        kept += [str(r.payload) for r in uow.session.scalars(select(JourneyOutbox))]
    assert not any("niemiły" in k or "ola@example.pl" in k for k in kept)
