"""Journeys on real parts: the node's database (SQLite and PostgreSQL), an SMTP server in this process
(aiosmtpd) that keeps what arrives, and the worker's round run with the clock handed in."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket

import pytest

from tests.conftest import make_test_app, seed_store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server, session, envelope, mechanism, auth_data):
        good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"shop", b"s3cret")
        return AuthResult(success=good)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


JOURNEY_CONFIG = {"POS_SMTP_HOST": "127.0.0.1", "POS_SMTP_TLS": "none", "POS_SMTP_USER": "shop",
                  "POS_SMTP_PASSWORD": "s3cret", "POS_MAIL_FROM": "sklep@example.pl",
                  "POS_PUBLIC_URL": "http://shop.test",
                  "POS_JOURNEY_QUIET_HOURS": "0-0"}  # none, unless a test sets them


@pytest.fixture
def app(database_url, tmp_path, pin_hashes, smtp):
    app = make_test_app(database_url, tmp_path, **JOURNEY_CONFIG, POS_SMTP_PORT=smtp.port)
    seed_store(app, pin_hashes, product_count=20)
    yield app
    app.extensions["pos.db"].dispose()


@pytest.fixture
def shop_key(app) -> str:
    from sync.webshop.keys import add_client
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        _, key = add_client(uow.session, "webshop", ["carts:write", "orders:write"])
        uow.commit()
    return key


class Worker:
    """The worker's journeys job, one round at a time, at the time the test says."""

    def __init__(self, app):
        from sync.journeys.outbox import Senders
        from sync.journeys.settings import JourneySettings
        from sync.journeys.store import ensure_defaults
        self.app = app
        self.settings = JourneySettings.from_config(app.config)
        self.senders = Senders.from_settings(self.settings)
        with app.extensions["pos.db"].unit_of_work() as uow:
            ensure_defaults(uow.session)
            uow.commit()

    def round(self, now: dt.datetime) -> dict:
        from sync.journeys.jobs import journey_round
        with self.app.app_context():
            return journey_round(self.app.extensions["pos.db"], self.settings, self.senders, now)


@pytest.fixture
def worker(app) -> Worker:
    return Worker(app)


def post_cart(client, key: str, cart_id: str, lines, action="created", idem=None, **extra):
    body = {"cart_id": cart_id, "action": action, "lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}
    body.setdefault("customer", {"email": "ewa@example.pl", "name": "Ewa"})
    return client.post("/api/v1/carts", json=body,
                       headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem or f"{cart_id}-{action}"})


def at_local(hour: int, zone: str = "Europe/Warsaw", days: int = 0) -> dt.datetime:
    """Today (plus days) at ``hour``:00 in ``zone``, as UTC."""
    from zoneinfo import ZoneInfo
    day = dt.datetime.now(ZoneInfo(zone)).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)
