"""GDPR for the journeys' own data: an export of it, and scrubbing it once the customer is erased.

Erasure itself belongs to the customers area (a manager's PIN, audited, reaching every store); this area only
notices an erased profile and drops what it kept that says who or what they said."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pos.customers.merges import merged_ids
from pos.customers.models import Customer
from sync.journeys.models import (JourneyConsent, JourneyCoupon, JourneyErasure, JourneyOutbox, JourneyRun,
                                  JourneySurveyAnswer, JourneyTask)
from sync.journeys.once import insert_once

KEEP = ("action", "status", "total", "currency")  # what happened, not who or what they said


def _event(event: dict | None) -> dict | None:
    if not event:
        return event
    details = event.get("details") or {}
    return {**event, "details": {k: v for k, v in details.items() if k in KEEP}}


def forget_erased(session, now: dt.datetime, limit: int = 200) -> int:
    erased = list(session.scalars(select(Customer.id).where(
        Customer.erased_at.is_not(None), ~Customer.id.in_(select(JourneyErasure.customer_id))).limit(limit)))
    for customer_id in erased:
        if not insert_once(session, JourneyErasure, {"customer_id": customer_id, "scrubbed_at": now},
                           ["customer_id"]):
            continue
        for answer in session.scalars(select(JourneySurveyAnswer).where(JourneySurveyAnswer.customer_id == customer_id)):
            answer.comment = ""
        for run in session.scalars(select(JourneyRun).where(JourneyRun.customer_id == customer_id)):
            run.context = {**run.context, "event": _event(run.context.get("event"))}
            if run.status == "active":
                run.status, run.exit_reason, run.ended_at = "exited", "customer erased", now
        for row in session.scalars(select(JourneyOutbox).where(JourneyOutbox.customer_id == customer_id)):
            row.payload = {"step": row.payload.get("step"), "journey": row.payload.get("journey"),
                           "event": _event(row.payload.get("event"))}
            if row.status == "pending":
                row.status, row.outcome = "skipped", "customer erased"
        for task in session.scalars(select(JourneyTask).where(JourneyTask.customer_id == customer_id)):
            task.context = {"event": _event(task.context.get("event")), "journey": task.context.get("journey")}
    return len(erased)


def export(session, customer_id) -> dict:
    ids = merged_ids(session, customer_id)

    def rows(model, order):
        return list(session.scalars(select(model).where(model.customer_id.in_(ids)).order_by(order)))

    return {
        "consents": [{"channel": c.channel, "granted": c.granted, "at": c.at.isoformat(), "how": c.how}
                     for c in rows(JourneyConsent, JourneyConsent.at)],
        "messages": [{"journey": m.payload.get("journey"), "kind": m.kind, "purpose": m.purpose, "status": m.status,
                      "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                      "sent_as": m.payload.get("sent_as"), "outcome": m.outcome}
                     for m in rows(JourneyOutbox, JourneyOutbox.created_at)],
        "coupons": [{"code": c.code, "amount": c.amount, "currency": c.currency,
                     "valid_until": c.valid_until.isoformat()} for c in rows(JourneyCoupon, JourneyCoupon.issued_at)],
        "survey_answers": [{"score": a.score, "comment": a.comment, "answered_at": a.answered_at.isoformat()}
                           for a in rows(JourneySurveyAnswer, JourneySurveyAnswer.answered_at)],
        "tasks": [{"queue": t.queue, "title": t.title, "status": t.status, "outcome": t.outcome,
                   "created_at": t.created_at.isoformat()} for t in rows(JourneyTask, JourneyTask.created_at)],
    }
