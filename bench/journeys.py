"""The journeys engine at HQ on PostgreSQL: N customers (100,000 by default) each with a web-shop cart event,
the abandoned-cart reminder becoming due for all at once, and the engine working it off.

Run: .venv/bin/python bench/journeys.py [--customers 100000]   (PostgreSQL at POS_TEST_POSTGRES_URL or
127.0.0.1 as postgres).  The reminders go over SMTP to an aiosmtpd server in this process.  Prints, per phase,
rows/s (taking in the timeline, starting runs, writing the outbox, sending), and the delay from the moment a
reminder became due to the moment the SMTP server had it (p50/p95/max); beside it a raw-database baseline: the
same number of outbox rows written by one psycopg executemany, and the SMTP sends alone."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def prepare(customers: int) -> str:
    from sqlalchemy import create_engine, insert, text

    from pos.catalogue.models import Product
    from pos.customers.models import Customer, CustomerEvent
    from pos.db import utcnow
    from pos.ids import new_id
    from sync.journeys.models import JourneyConsent
    from tests.conftest import migrate

    name = f"pos_bench_journeys_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    engine = create_engine(url)
    now = utcnow() - dt.timedelta(minutes=5)
    with engine.begin() as connection:
        connection.execute(insert(Product), [{"id": new_id(), "sku": f"B-{i:03d}", "name": f"Bench {i}",
                                              "search_name": f"bench {i}", "unit": "pcs", "vat_group": "A",
                                              "price": 1000 + i, "currency": "PLN", "active": True}
                                             for i in range(100)])
    for first in range(0, customers, 10_000):
        people = [new_id() for _ in range(min(10_000, customers - first))]
        with engine.begin() as connection:
            connection.execute(insert(Customer), [{"id": c, "name": f"K{first + i}", "email": f"k{first + i}@bench.pl",
                                                   "origin": "webshop", "created_at": now, "updated_at": now,
                                                   "marketing_email": True, "marketing_sms": False}
                                                  for i, c in enumerate(people)])
            connection.execute(insert(JourneyConsent), [{"id": new_id(), "customer_id": c, "channel": "email",
                                                         "granted": True, "at": now, "how": "bench"} for c in people])
            connection.execute(insert(CustomerEvent), [{
                "id": new_id(), "customer_id": c, "at": now, "channel": "webshop", "kind": "cart",
                "reference": f"cart-{first + i}", "details": {"action": "created", "language": "pl",
                                                            "lines": [{"sku": f"B-{i % 100:03d}", "quantity": 1}]}}
                for i, c in enumerate(people)])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.arrived = []

        async def handle_DATA(self, server, session, envelope):
            self.arrived.append((time.monotonic(), envelope.rcpt_tos[0]))
            return "250 OK"

    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    print(f"preparing {args.customers} customers with a cart each …", flush=True)
    url = prepare(args.customers)

    from pos import create_app
    from sync.journeys.engine import advance, take_in
    from sync.journeys.outbox import Senders, dispatch
    from sync.journeys.settings import JourneySettings
    from sync.journeys.store import ensure_defaults
    app = create_app({"POS_DATABASE_URL": url, "POS_ROLE": "hq", "SECRET_KEY": "bench", "POS_STORE_CODE": "HQ",
                      "POS_SMTP_HOST": "127.0.0.1", "POS_SMTP_PORT": port, "POS_JOURNEY_QUIET_HOURS": "0-0",
                      "POS_JOURNEY_FREQUENCY_CAP": "100/7", "POS_ALLOW_REAL_DEVICES": False})
    db = app.extensions["pos.db"]
    settings = JourneySettings.from_config(app.config)
    senders = Senders.from_settings(settings)
    with db.unit_of_work() as uow:
        ensure_defaults(uow.session)
        uow.commit()
    due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1, minutes=1)

    figures = {}
    began = time.monotonic()
    taken = 0
    while True:
        with db.unit_of_work() as uow:
            got = take_in(uow.session, due)
            uow.commit()
        taken += got
        if not got:
            break
    figures["take in the timeline, start runs"] = (taken, time.monotonic() - began)
    became_due = time.monotonic()
    steps = 0
    while True:
        with db.unit_of_work() as uow:
            moved = advance(uow.session, settings, due, limit=2000)
            uow.commit()
        steps += moved
        if not moved:
            break
    figures["advance runs, write the outbox"] = (steps, time.monotonic() - became_due)
    sending = time.monotonic()
    sent = 0
    while True:
        counts = dispatch(db, settings, senders, due, limit=1000)
        sent += counts["sent"]
        if not any(counts.values()):
            break
    figures["judge, render, send over SMTP"] = (sent, time.monotonic() - sending)

    delays = sorted(at - became_due for at, _ in inbox.arrived)
    for what, (rows, seconds) in figures.items():
        print(f"{what:36s} {rows:8d} in {seconds:8.1f} s  = {rows / seconds:8.0f}/s")
    print(f"due → in the SMTP server: p50 {statistics.median(delays):.1f} s, "
          f"p95 {delays[int(len(delays) * 0.95) - 1]:.1f} s, max {delays[-1]:.1f} s, {len(delays)} messages")

    # Baselines: the same outbox rows by one raw executemany, and bare SMTP sends of a similar message.
    import psycopg
    raw = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
    with raw, raw.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE raw_outbox (LIKE journey_outbox INCLUDING ALL)")
        rows = [(f"k{i}", "pending", "{}") for i in range(sent or 1)]
        started = time.monotonic()
        cursor.executemany("INSERT INTO raw_outbox (id, idempotency_key, run_id, customer_id, kind, purpose, status,"
                           " due_at, attempts, payload, outcome, created_at) SELECT gen_random_uuid(), %s,"
                           " gen_random_uuid(), gen_random_uuid(), 'email', 'marketing', %s, now(), 0, %s::jsonb,"
                           " '', now()", rows)
        raw.commit()
        print(f"{'baseline: raw outbox INSERTs':36s} {len(rows):8d} in {time.monotonic() - started:8.1f} s")
    import smtplib
    from email.message import EmailMessage
    count = min(2000, sent or 1)
    started = time.monotonic()
    for i in range(count):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@b.pl", f"x{i}@bench.pl", "baseline"
        message.set_content("baseline")
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(message)
    seconds = time.monotonic() - started
    print(f"{'baseline: bare SMTP sends':36s} {count:8d} in {seconds:8.1f} s  = {count / seconds:8.0f}/s")
    db.dispose()
    smtp.stop()
    from tests.conftest import drop_postgres_database
    drop_postgres_database(url.rsplit("/", 1)[1])


if __name__ == "__main__":
    main()
