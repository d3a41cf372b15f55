"""Abandoned cart: the web shop's cart events start reminders by e-mail (SMTP, read back from the server),
a purchase of those goods stops them, and marketing goes only with consent, outside quiet hours, under the cap."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from pos.db import utcnow
from sync.journeys.models import JourneyConsent, JourneyOutbox, JourneyRun
from tests.integration.journeys.conftest import at_local, post_cart

HOUR = dt.timedelta(hours=1)
CONSENT = {"email": True, "how": "checkbox at checkout"}


def runs(app, key="abandoned_cart"):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(JourneyRun).where(JourneyRun.journey_key == key)))


def outbox(app):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(JourneyOutbox).order_by(JourneyOutbox.created_at)))


def test_reminders_go_after_the_delays_with_todays_prices_and_a_web_order_stops_them(app, client, shop_key,
                                                                                       worker, smtp):
    start = utcnow()
    answer = post_cart(client, shop_key, "c-1", [("SKU-000001", 2)], consent=CONSENT, language="pl")
    assert answer.status_code == 201, answer.get_json()
    assert post_cart(client, shop_key, "c-1", [("SKU-000001", 2)], consent=CONSENT,
                     language="pl").headers.get("Idempotent-Replayed") == "true"

    worker.round(start + 30 * dt.timedelta(minutes=1))
    assert smtp.messages == []  # not before the hour
    worker.round(start + 61 * dt.timedelta(minutes=1))
    [mail] = smtp.messages
    assert mail["To"] == "ewa@example.pl" and mail["From"] == "sklep@example.pl"
    assert mail["Subject"] == "Zostawiłeś coś w koszyku"
    assert mail["List-Unsubscribe"].startswith("<http://shop.test/journeys/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        from pos.catalogue.models import Product
        product = uow.session.scalars(select(Product).where(Product.sku == "SKU-000001")).one()
    assert product.name in text and product.name in html and "× 2" in text
    assert smtp.envelopes[0].rcpt_tos == ["ewa@example.pl"]

    worker.round(start + 2 * HOUR)  # nothing new is due
    assert len(smtp.messages) == 1

    order = {"order_id": "W-1", "channel": "webshop", "currency": "PLN",
             "customer": {"email": "ewa@example.pl", "name": "Ewa"},
             "lines": [{"sku": "SKU-000001", "quantity": 2, "unit_price": product.price}],
             "delivery": {"method": "collect", "store": "S1"}}
    placed = client.post("/api/v1/orders", json=order,
                         headers={"Authorization": f"Bearer {shop_key}", "Idempotency-Key": "order-W-1"})
    assert placed.status_code == 201, placed.get_json()
    worker.round(start + 25 * HOUR)
    assert len(smtp.messages) == 1  # the second reminder never goes
    [run] = runs(app)
    assert run.status == "exited" and "W-1" in run.exit_reason


def test_an_order_of_other_goods_does_not_stop_the_series(app, client, shop_key, worker, smtp):
    start = utcnow()
    post_cart(client, shop_key, "c-2", [("SKU-000001", 1)], consent=CONSENT, language="en")
    order = {"order_id": "W-2", "channel": "webshop", "currency": "PLN",
             "customer": {"email": "ewa@example.pl"}, "lines": [{"sku": "SKU-000005", "quantity": 1,
                                                                 "unit_price": 100}],
             "delivery": {"method": "collect", "store": "S1"}}
    assert client.post("/api/v1/orders", json=order, headers={"Authorization": f"Bearer {shop_key}",
                                                              "Idempotency-Key": "o2"}).status_code == 201
    worker.round(start + 2 * HOUR)
    worker.round(start + 25 * HOUR)
    assert [m["Subject"] for m in smtp.messages] == ["You left something in your basket"] * 2


def test_no_marketing_without_consent_and_an_emptied_cart_ends_the_run(app, client, shop_key, worker, smtp):
    start = utcnow()
    post_cart(client, shop_key, "c-3", [("SKU-000002", 1)])
    worker.round(start + 2 * HOUR)
    assert smtp.messages == []
    [row] = outbox(app)
    assert row.status == "skipped" and "consent" in row.outcome

    post_cart(client, shop_key, "c-3", [], action="emptied")
    worker.round(start + 3 * HOUR)
    [run] = runs(app)
    assert run.status == "exited" and "cart c-3" in run.exit_reason


def test_quiet_hours_in_the_customers_time_zone_defer_the_reminder(app, client, shop_key, worker, smtp):
    worker.settings = dataclasses.replace(worker.settings, quiet_start=21, quiet_end=8)
    # A Czech number: Prague's clock (the same offset as Warsaw, but read from the phone).
    post_cart(client, shop_key, "c-4", [("SKU-000003", 1)], consent=CONSENT,
              customer={"phone": "+420 601 123 456", "email": "jan@example.cz"})
    worker.round(at_local(23, "Europe/Prague", days=1))
    assert smtp.messages == []
    [row] = outbox(app)
    assert row.status == "pending" and row.due_at == at_local(8, "Europe/Prague", days=2)
    worker.round(at_local(7, "Europe/Prague", days=2))
    assert smtp.messages == []
    worker.round(at_local(8, "Europe/Prague", days=2))
    [mail] = smtp.messages
    assert mail["Subject"] == "Nechali jste něco v košíku"  # Czech, from the phone's country


def test_frequency_cap_stops_marketing_past_the_limit(app, client, shop_key, worker, smtp):
    worker.settings = dataclasses.replace(worker.settings, cap_messages=1, cap_days=7)
    start = utcnow()
    post_cart(client, shop_key, "c-5", [("SKU-000004", 1)], consent=CONSENT, language="en")
    worker.round(start + 2 * HOUR)
    worker.round(start + 25 * HOUR)
    assert len(smtp.messages) == 1
    assert [r.status for r in outbox(app)] == ["sent", "skipped"]
    assert "frequency cap" in outbox(app)[1].outcome


def test_unsubscribe_link_withdraws_consent_with_when_and_how(app, client, shop_key, worker, smtp):
    start = utcnow()
    post_cart(client, shop_key, "c-6", [("SKU-000006", 1)], consent=CONSENT, language="uk")
    worker.round(start + 2 * HOUR)
    [mail] = smtp.messages
    url = mail["List-Unsubscribe"].strip("<>").replace("http://shop.test", "")
    page = client.get(url)
    assert page.status_code == 200 and "lang=\"uk\"" in page.get_data(as_text=True)
    assert client.post(url).status_code == 200
    assert client.get("/journeys/unsubscribe/forged-token").status_code == 404
    worker.round(start + 25 * HOUR)
    assert len(smtp.messages) == 1  # the second reminder is not sent
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        ledger = list(uow.session.scalars(select(JourneyConsent).where(JourneyConsent.channel == "email")
                                           .order_by(JourneyConsent.at)))
        from pos.customers.models import Customer
        customer = uow.session.get(Customer, ledger[0].customer_id)
    assert [(c.granted, c.how) for c in ledger] == [(True, "webshop: checkbox at checkout"),
                                                    (False, "unsubscribe link")]
    assert customer.marketing_email is False  # the profile, and through the feed every store, knows


def test_bad_cart_input_is_a_problem_naming_the_field_and_writes_nothing(app, client, shop_key, worker):
    answer = post_cart(client, shop_key, "c-7", [("NO-SUCH-SKU", 1)])
    assert answer.status_code == 422 and answer.get_json()["invalid_params"][0]["name"] == "lines[0].sku"
    answer = post_cart(client, shop_key, "c-7", [("SKU-000001", 1)], idem="x", customer={"phone": "12"})
    assert answer.status_code == 422 and answer.get_json()["invalid_params"][0]["name"] == "customer.phone"
    worker.round(utcnow())
    assert runs(app) == []
