"""The engine: take in the customer's timeline, start and stop runs, and turn due steps into outbox rows.

Timeline events are read by id (time-ordered UUIDs made where the event was recorded, so an offline sale
that reaches HQ hours late gets a new id when it arrives) with a look-back window and a table of events
already taken in: a transaction that commits late is still seen, and none is handled twice."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, exists, func, select, update

from pos.customers.merges import merged_ids, resolve
from pos.customers.models import CustomerEvent
from pos.ids import new_id
from sync.journeys.consents import note_profile_consents
from sync.journeys.coupons import issue_coupon
from sync.journeys.definitions import holds, matches
from sync.journeys.models import JourneyOutbox, JourneyRun, JourneySeenEvent
from sync.journeys.once import insert_once
from sync.journeys.store import current

LOOK_BACK = dt.timedelta(minutes=15)  # far longer than any transaction that records a timeline event


def _floor_id(session) -> uuid.UUID:
    newest = session.scalar(select(JourneySeenEvent.event_id).order_by(JourneySeenEvent.event_id.desc()).limit(1))
    if newest is None:
        return uuid.UUID(int=0)
    millis = (newest.int >> 80) - int(LOOK_BACK.total_seconds() * 1000)
    return uuid.UUID(int=max(0, millis) << 80)


def event_json(event: CustomerEvent) -> dict:
    return {"id": str(event.id), "customer_id": str(event.customer_id), "kind": event.kind,
            "channel": event.channel, "reference": event.reference, "at": event.at.isoformat(),
            "details": event.details or {}}


def skus(details: dict) -> set[str]:
    return {str(line.get("sku")) for line in (details or {}).get("lines") or [] if isinstance(line, dict)}


def take_in(session, now: dt.datetime, limit: int = 1000) -> int:
    """Handle up to ``limit`` new timeline events; returns how many this worker took."""
    seen = exists().where(JourneySeenEvent.event_id == CustomerEvent.id)
    events = list(session.scalars(select(CustomerEvent).where(CustomerEvent.id >= _floor_id(session), ~seen)
                                  .order_by(CustomerEvent.id).limit(limit)))
    journeys = current(session)
    taken = 0
    for event in events:
        # Another worker taking the same event waits on this row and then skips it.
        if not insert_once(session, JourneySeenEvent, {"event_id": event.id, "seen_at": now}, ["event_id"]):
            continue
        taken += 1
        customer = resolve(session, event.customer_id)
        if customer is None or customer.erased_at is not None:
            continue
        data = event_json(event)
        if event.kind == "profile":
            note_profile_consents(session, customer, event)
        _exit_runs(session, customer.id, data, event.at, now)
        for journey in journeys:
            _maybe_start(session, journey, customer, data, event.at, now)
    return taken


def _exit_runs(session, customer_id, data: dict, at: dt.datetime, now: dt.datetime) -> None:
    runs = session.scalars(select(JourneyRun).where(JourneyRun.customer_id.in_(merged_ids(session, customer_id)),
                                                    JourneyRun.status == "active"))
    for run in runs:
        if at < run.trigger_at or str(run.trigger_event_id) == data["id"]:
            continue  # something that happened before the run began does not end it
        definition = run.context["definition"]
        for rule in definition.get("exits") or []:
            if not matches(rule, data):
                continue
            bought = skus(data["details"])
            if rule.get("same_goods") and bought and not bought & set(run.context.get("skus") or []):
                continue  # a purchase that lists its goods and shares none with the cart
            _end(session, run, "exited", f"{data['kind']} {data['reference']} on {data['channel']}", now)
            break


def _end(session, run: JourneyRun, status: str, reason: str, now: dt.datetime) -> None:
    run.status, run.exit_reason, run.ended_at = status, reason[:200], now
    session.execute(update(JourneyOutbox).where(JourneyOutbox.run_id == run.id, JourneyOutbox.status == "pending")
                    .values(status="skipped", outcome=f"run ended: {reason}"[:500]))


def enters(definition: dict, customer, data: dict, at: dt.datetime, now: dt.datetime) -> bool:
    """Whether this timeline event starts the journey for the customer: its trigger, age and conditions."""
    if not matches(definition["trigger"], data):
        return False
    if now - at > dt.timedelta(days=definition["max_trigger_age_days"]):
        return False
    facts = {**data, "customer": {"id": str(customer.id), "origin": customer.origin}}
    return all(holds(condition, facts) for condition in definition.get("conditions") or [])


def _maybe_start(session, journey, customer, data: dict, at: dt.datetime, now: dt.datetime) -> None:
    definition = journey.definition
    if not enters(definition, customer, data, at, now):
        return
    if definition["reentry"] != "allow":
        active = session.scalars(select(JourneyRun).where(JourneyRun.journey_key == journey.key,
                                                          JourneyRun.customer_id == customer.id,
                                                          JourneyRun.status == "active")).first()
        if active is not None:
            if definition["reentry"] == "update":
                active.context = {**active.context, "event": data, "skus": sorted(skus(data["details"]))}
            return
    insert_once(session, JourneyRun, {
        "id": new_id(), "journey_id": journey.id, "journey_key": journey.key, "customer_id": customer.id,
        "trigger_event_id": uuid.UUID(data["id"]), "trigger_at": at, "reference": data["reference"][:100],
        "status": "active", "step": 0, "next_at": now, "started_at": now, "exit_reason": "",
        "context": {"definition": definition, "version": journey.version, "event": data,
                    "skus": sorted(skus(data["details"]))}}, ["journey_key", "trigger_event_id"])


def _due_runs(session, now: dt.datetime, limit: int):
    query = (select(JourneyRun).where(JourneyRun.status == "active", JourneyRun.next_at <= now)
             .order_by(JourneyRun.next_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never hold the same run
    return list(session.scalars(query))


def advance(session, settings, now: dt.datetime, limit: int = 500) -> int:
    """Move every due run through its steps until a wait or the end; returns the steps carried out."""
    done = 0
    for run in _due_runs(session, now, limit):
        steps = run.context["definition"]["steps"]
        context = dict(run.context)
        # Waits count from the step before (the trigger for the first), not from when a worker got here.
        clock = dt.datetime.fromisoformat(context.get("clock") or run.trigger_at.isoformat())
        while run.step < len(steps):
            step = steps[run.step]
            if step["type"] == "wait":
                due = clock + dt.timedelta(seconds=step["seconds"])
                if due > now:
                    run.next_at = due
                    break
                clock = due
            else:
                _carry_out(session, settings, run, context, step, now)
                clock = now
            run.step += 1
            done += 1
        context["clock"] = clock.isoformat()
        run.context = context
        if run.step >= len(steps):
            run.status, run.ended_at = "completed", now
    return done


def _carry_out(session, settings, run: JourneyRun, context: dict, step: dict, now: dt.datetime) -> None:
    key = f"{run.id}:{run.step}"
    if step["type"] == "coupon":
        context["coupon"] = issue_coupon(session, key, run.customer_id, step["amount"],
                                         step.get("currency") or settings.currency, step["valid_days"], now)
        return
    payload = {"step": step, "journey": run.journey_key, "event": context.get("event"),
               "coupon": context.get("coupon")}
    insert_once(session, JourneyOutbox, {
        "id": new_id(), "idempotency_key": key, "run_id": run.id, "customer_id": run.customer_id,
        "kind": step["type"], "purpose": step.get("purpose", "transactional"), "status": "pending",
        "due_at": now, "attempts": 0, "payload": payload, "outcome": "", "created_at": now},
        ["idempotency_key"])
