"""Carrying out the outbox: each row is claimed by one worker under a lease, judged (consent, quiet hours,
frequency cap), sent, and marked sent.

Once per key: the row's key is unique, a claim locks it (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on
SQLite) and marks it ``sending`` before anything leaves; only a worker that dies between sending and marking
leaves a row whose lease runs out, and its retry carries the same key to the other side (the e-mail's
Message-ID, SMSAPI's idx with check_idx) so the receiving end can tell it is the same message."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging

from sqlalchemy import or_, select, text, update

from pos.customers.merges import resolve
from pos.db import utcnow
from sync.journeys import policy
from sync.journeys.context import sms_phone, values_for
from sync.journeys.mail import LogMailer, SendFailed, SmtpMailer, build
from sync.journeys.messages import render
from sync.journeys.models import JourneyOutbox, JourneyTask
from sync.journeys.once import insert_once
from sync.journeys.sms import gateway, measure
from pos.ids import new_id

log = logging.getLogger("sync.journeys")


class Senders:
    def __init__(self, mailer, sms):
        self.mailer, self.sms = mailer, sms

    @classmethod
    def from_settings(cls, settings) -> "Senders":
        return cls(SmtpMailer(settings) if settings.smtp_host else LogMailer(settings), gateway(settings))


def _claimable(now):
    return or_((JourneyOutbox.status == "pending") & (JourneyOutbox.due_at <= now),
               (JourneyOutbox.status == "sending") & (JourneyOutbox.lease_until < now))


def dispatch(db, settings, senders: Senders, now: dt.datetime | None = None, limit: int = 100) -> dict:
    now = now or utcnow()
    counts = {"sent": 0, "skipped": 0, "deferred": 0, "retried": 0, "failed": 0}
    with db.unit_of_work(read_only=True) as uow:
        ids = list(uow.session.scalars(select(JourneyOutbox.id).where(_claimable(now))
                                       .order_by(JourneyOutbox.due_at).limit(limit)))
    for row_id in ids:
        outcome = _one(db, settings, senders, row_id, now)
        if outcome:
            counts[outcome] += 1
    return counts


def _one(db, settings, senders, row_id, now) -> str | None:
    with db.unit_of_work() as uow:
        session = uow.session
        query = select(JourneyOutbox).where(JourneyOutbox.id == row_id, _claimable(now))
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None:
            return None  # another worker has it, or it is done
        if postgres:  # one decision at a time per customer, so two workers cannot both pass the cap
            lock = int.from_bytes(hashlib.sha256(row.customer_id.bytes).digest()[:8], "big", signed=True)
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        customer = resolve(session, row.customer_id)
        if customer is None or customer.erased_at is not None:
            return _finish(uow, row, "skipped", "customer erased", now)
        verdict, detail = policy.judge(session, row, customer, settings, now)
        if verdict == "skip":
            return _finish(uow, row, "skipped", detail, now)
        if verdict == "defer":
            row.due_at = detail
            row.outcome = f"quiet hours until {detail.isoformat()}"
            uow.commit()
            return "deferred"
        if row.kind in ("task", "webhook"):
            _in_database(session, row, customer, now)
            return _finish(uow, row, "sent", row.kind, now)
        try:
            message = _compose(session, settings, row, customer)
        except SendFailed as exc:
            return _finish(uow, row, "skipped", str(exc), now)
        row.status, row.lease_until, row.attempts = "sending", now + dt.timedelta(seconds=settings.lease_seconds), \
            row.attempts + 1
        # What went, as the customer reads it: the back office's message pages show it (erasure drops it).
        row.payload = {**row.payload, "sent_as": message["summary"],
                       "sent_text": message["blocks"]["text" if row.kind == "email" else "sms"]}
        uow.commit()
    try:
        outcome = _send(senders, row, message)
    except SendFailed as exc:
        return _failed(db, settings, row, exc, now)
    with db.unit_of_work() as uow:
        uow.session.execute(update(JourneyOutbox).where(JourneyOutbox.id == row.id, JourneyOutbox.status == "sending")
                            .values(status="sent", sent_at=now, outcome=outcome[:500], lease_until=None))
        uow.commit()
    return "sent"


def _finish(uow, row, status: str, outcome: str, now) -> str:
    row.status, row.outcome = status, outcome[:500]
    if status == "sent":
        row.sent_at = now
    uow.commit()
    return status


def _failed(db, settings, row, exc: SendFailed, now) -> str:
    final = exc.final or row.attempts >= settings.max_attempts
    with db.unit_of_work() as uow:
        uow.session.execute(update(JourneyOutbox).where(JourneyOutbox.id == row.id).values(
            status="failed" if final else "pending", outcome=str(exc)[:500], lease_until=None,
            due_at=now + dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, row.attempts - 1)))))
        uow.commit()
    log.warning("journey message %s: %s", row.idempotency_key, exc)
    return "failed" if final else "retried"


def _compose(session, settings, row, customer) -> dict:
    language, values = values_for(session, settings, row, customer)
    blocks = render(row.payload["step"]["template"], language, values)
    if row.kind == "email":
        if not customer.email:
            raise SendFailed("no e-mail address")
        return {"to": customer.email, "blocks": blocks, "summary": blocks["subject"],
                "unsubscribe": values["unsubscribe_url"] if row.purpose == "marketing" else None}
    phone = sms_phone(session, row, customer)
    if not phone:
        raise SendFailed("no phone number")
    length = measure(blocks["sms"])
    if length.parts > settings.sms_max_parts:
        raise SendFailed(f"SMS too long: {length.units} {length.encoding} units, {length.parts} parts")
    return {"to": phone, "blocks": blocks, "summary": f"{blocks['sms']} [{length.encoding}, {length.parts} part(s)]"}


def _send(senders, row, message) -> str:
    if row.kind == "email":
        blocks = message["blocks"]
        email = build(senders.mailer.settings.mail_from, message["to"], blocks["subject"], blocks["text"], blocks["html"],
                      f"<{row.idempotency_key.replace(':', '.')}@journeys.pos>", message["unsubscribe"])
        return senders.mailer.send(email)
    return senders.sms.send(message["to"], message["blocks"]["sms"], row.idempotency_key)


def _in_database(session, row, customer, now) -> None:
    """Tasks and webhooks are written in the claiming transaction: exactly once without any guesswork."""
    step, event = row.payload["step"], row.payload.get("event") or {}
    if row.kind == "task":
        insert_once(session, JourneyTask, {
            "id": new_id(), "idempotency_key": row.idempotency_key, "queue": step["queue"],
            "customer_id": customer.id, "title": step["title"], "status": "open", "outcome": "",
            "created_at": now, "context": {"event": event, "journey": row.payload.get("journey")}},
            ["idempotency_key"])
    else:
        from sync.webhooks.events import enqueue
        # One subscribable type for every journey's webhook step; the step's own name tells them apart.
        enqueue(session, "journey.step", {"name": step["event"], "journey": row.payload.get("journey"),
                                          "customer": {"id": str(customer.id)}, "event": event,
                                          "key": row.idempotency_key})
