"""The case the abandoned-cart journey exists for: the web-shop cart's reminder has gone, then a store sale of
those goods made offline reaches HQ hours later: no further reminder.  HQ on PostgreSQL and store S1 on SQLite
as real processes (the chain from the sync tests); the journeys worker runs against HQ's database."""
from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import select

from pos import create_app
from pos.db import utcnow
from sync.journeys.models import JourneyRun
from tests.integration.journeys.conftest import JOURNEY_CONFIG, Worker
from tests.integration.sync.chain import Till, flask
from tests.integration.sync.conftest import chain  # noqa: F401  (the fixture)

HOUR = dt.timedelta(hours=1)


def test_offline_store_sale_arriving_after_the_first_reminder_stops_the_series(chain, smtp, tmp_path):  # noqa: F811
    key = flask(chain.hq.env, "clients", "add", "shop", "--scope", "carts:write").stdout.strip().splitlines()[-1]
    start = utcnow()
    cart = requests.post(chain.hq.url + "/api/v1/carts", timeout=30, headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": "cart-late-1"}, json={
        "cart_id": "late-1", "action": "created", "language": "pl",
        "customer": {"phone": "+48 601 999 888", "email": "marta@example.pl", "name": "Marta"},
        "lines": [{"sku": "SKU-000003", "quantity": 1}], "consent": {"email": True, "how": "checkbox"}})
    assert cart.status_code == 201, cart.text

    # The store loses HQ and sells the cart's goods to the same person, known there only by phone.
    s1 = Till(chain.stores["S1"])
    s1.open_shift()
    chain.hq.stop()
    marta = s1.call("POST", "/api/v1/customers", json={"name": "Marta", "phone": "601 999 888"})
    assert marta["source"] == "local"
    s1.sell(["SKU-000003"], marta["id"])

    hq = create_app({"POS_DATABASE_URL": chain.hq_db, "POS_ROLE": "hq", "POS_STORE_CODE": "HQ",
                     "SECRET_KEY": "test-only", "POS_DEVICE_DIR": str(tmp_path / "devices"),
                     "POS_ALLOW_REAL_DEVICES": False, **JOURNEY_CONFIG, "POS_SMTP_PORT": smtp.port})
    try:
        worker = Worker(hq)
        worker.round(start + 61 * dt.timedelta(minutes=1))
        [first] = smtp.messages  # the sale has not reached HQ: the first reminder goes
        assert first["To"] == "marta@example.pl"

        chain.hq.start()
        assert "newly applied" in chain.sync_once("S1").stdout  # the offline sale arrives, hours "late"
        worker.round(start + 25 * HOUR)
        assert len(smtp.messages) == 1  # and no further reminder is sent
        with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
            [run] = uow.session.scalars(select(JourneyRun).where(JourneyRun.reference == "late-1"))
        assert run.status == "exited" and run.exit_reason.startswith("sale ") and "store:S1" in run.exit_reason
    finally:
        hq.extensions["pos.db"].dispose()
