"""The customer profile: the timeline, finding and creating people, and what a node learns from another."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from pos.customers.identity import normalise_card, normalise_email, normalise_phone
from pos.customers.merges import living_matches, lock_identities, merge, merged_ids, resolve
from pos.customers.models import Customer, CustomerEvent
from pos.db import utcnow
from pos.feed.services import record_change

PROFILE_FIELDS = ("name", "phone", "email", "card", "marketing_email", "marketing_sms")


def record_interaction(session, customer_id, channel: str, kind: str, reference, details: dict | None = None,
                       at=None) -> CustomerEvent:
    event = CustomerEvent(customer_id=customer_id, channel=channel, kind=kind, reference=str(reference),
                          details=details or {}, at=at or utcnow())
    session.add(event)
    return event


def identities(region: str, phone=None, email=None, card=None) -> dict:
    """Normalised identities; raises IdentityError naming the field."""
    return {"phone": normalise_phone(phone, region), "email": normalise_email(email), "card": normalise_card(card)}


def customer_json(customer: Customer) -> dict:
    return {
        "id": str(customer.id), "name": customer.name, "phone": customer.phone, "email": customer.email,
        "card": customer.card, "marketing_email": customer.marketing_email, "marketing_sms": customer.marketing_sms,
        "merged_into": str(customer.merged_into) if customer.merged_into else None,
        "erased": customer.erased_at is not None, "origin": customer.origin,
        "created_at": customer.created_at.isoformat() if customer.created_at else None,
        "updated_at": customer.updated_at.isoformat() if customer.updated_at else None,
    }


def find(session, phone=None, email=None, card=None) -> list[Customer]:
    return [customer for customer, _ in living_matches(session, phone, email, card)]


def create(session, values: dict, origin: str) -> tuple[Customer, bool]:
    """A new profile, unless this node already knows the person by any identity: (profile, created)."""
    lock_identities(session)
    matches = living_matches(session, values.get("phone"), values.get("email"), values.get("card"))
    if matches:
        return matches[0][0], False
    now = utcnow()
    customer = Customer(id=values.get("id") or _new_id(), origin=origin, created_at=now, updated_at=now,
                        **{field: values.get(field) for field in PROFILE_FIELDS if values.get(field) is not None})
    session.add(customer)
    session.flush()
    record_interaction(session, customer.id, origin, "profile", customer.id, {"action": "created"})
    record_change(session, "customer", customer.id, customer_json(customer), op="created")
    return customer, True


def edit(session, customer: Customer, values: dict, origin: str) -> Customer:
    """Change profile fields (and consents) at this node; the change travels in the feed."""
    changed = sorted(field for field, value in values.items()
                     if field in PROFILE_FIELDS and value is not None and getattr(customer, field) != value)
    for field in changed:
        setattr(customer, field, values[field])
    if changed:
        customer.updated_at = utcnow()
        session.flush()
        record_interaction(session, customer.id, origin, "profile", customer.id,
                           {"action": "edited", "fields": changed})
        record_change(session, "customer", customer.id, customer_json(customer), op="updated")
    return customer


def _new_id():
    from pos.ids import new_id
    return new_id()


def _free_card(session, card, keep_id) -> None:
    if card:
        session.execute(update(Customer).where(Customer.card == card, Customer.id != keep_id).values(card=None))


def ensure_stub(session, customer_id, origin: str = "") -> Customer:
    """A sale can name a customer this node has not heard of yet; the profile fills in when it arrives."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        customer = Customer(id=customer_id, origin=origin)
        session.add(customer)
        session.flush()
    return customer


def apply_profile(session, payload: dict) -> Customer:
    """Store side: take HQ's copy of a profile as it is (redirect and erasure included); nothing is fed back."""
    customer_id = uuid.UUID(payload["id"])
    merged_into = uuid.UUID(payload["merged_into"]) if payload.get("merged_into") else None
    if merged_into is not None:
        ensure_stub(session, merged_into)
    customer = ensure_stub(session, customer_id, payload.get("origin") or "")
    _free_card(session, payload.get("card"), customer_id)
    session.flush()
    for field in PROFILE_FIELDS:
        setattr(customer, field, payload.get(field) if field not in ("marketing_email", "marketing_sms")
                else bool(payload.get(field)))
    customer.merged_into = merged_into
    if merged_into is not None:
        session.execute(update(Customer).where(Customer.merged_into == customer_id).values(merged_into=merged_into))
    if payload.get("erased") and customer.erased_at is None:
        customer.erased_at = utcnow()
        scrub_timeline(session, [customer_id])
    customer.updated_at = utcnow()
    session.flush()
    return customer


def upsert_from_store(session, payload: dict, origin: str) -> list[Customer]:
    """HQ side: a profile created or edited at a store.  A person HQ already knows by phone, e-mail or card
    is merged into the older profile.  Returns every profile whose HQ copy changed (for the stores' feed)."""
    lock_identities(session)
    customer_id = uuid.UUID(payload["id"])
    values = {field: payload.get(field) for field in PROFILE_FIELDS}
    customer = session.get(Customer, customer_id)
    if customer is None:
        matches = living_matches(session, values["phone"], values["email"], values["card"])
        card_taken = values["card"] and session.scalar(select(Customer.id).where(Customer.card == values["card"]))
        customer = Customer(id=customer_id, origin=payload.get("origin") or origin,
                            **{**values, "card": None if card_taken else values["card"],
                               "marketing_email": bool(values["marketing_email"]),
                               "marketing_sms": bool(values["marketing_sms"])})
        session.add(customer)
        session.flush()
        if matches:
            survivor, matched_on = matches[0]
            if card_taken and not survivor.card:
                survivor.card = values["card"]
            merge(session, survivor, customer, matched_on, origin)
            return [resolve(session, survivor.id), customer]
        return [customer]
    target = resolve(session, customer_id)
    if target.erased_at is not None:
        return []  # an edit made offline must not bring an erased person back
    for field, value in values.items():
        if field in ("marketing_email", "marketing_sms"):
            setattr(target, field, bool(value))
        elif value and field != "card":
            setattr(target, field, value)
        elif value and not session.scalar(select(Customer.id).where(Customer.card == value, Customer.id != target.id)):
            target.card = value
    target.updated_at = utcnow()
    session.flush()
    changed = [target]
    for other, matched_on in living_matches(session, target.phone, target.email, target.card):
        if other.id != target.id:
            survivor, loser = sorted((target, other), key=lambda c: (c.created_at, str(c.id)))
            merge(session, survivor, loser, matched_on, origin)
            changed += [other]
    return changed


def timeline(session, survivor_id, limit: int | None = None) -> list[dict]:
    statement = (select(CustomerEvent).where(CustomerEvent.customer_id.in_(merged_ids(session, survivor_id)))
                 .order_by(CustomerEvent.at.desc()))
    if limit:
        statement = statement.limit(limit)
    return [{"at": e.at.isoformat(), "channel": e.channel, "kind": e.kind, "reference": e.reference,
             "customer_id": str(e.customer_id), "details": e.details} for e in session.scalars(statement)]


def profile(session, customer_id, timeline_limit: int | None = 200) -> dict | None:
    customer = resolve(session, customer_id)
    if customer is None:
        return None
    return {"customer": customer_json(customer), "requested_id": str(customer_id),
            "redirected": customer.id != customer_id,
            "merged_ids": [str(i) for i in merged_ids(session, customer.id)[1:]],
            "timeline": timeline(session, customer.id, timeline_limit)}


PERSONAL_DETAIL_KEYS = ("name", "phone", "email", "card", "address", "note", "fields")


def scrub_timeline(session, customer_ids: list) -> None:
    """Keep what happened (kind, channel, reference, money) and drop anything that says who."""
    for event in session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id.in_(customer_ids))):
        event.details = {key: value for key, value in (event.details or {}).items()
                         if key in ("total", "currency", "receipt_number", "sale_id", "action")}


def erase(session, customer: Customer) -> list:
    """GDPR erasure: sales stay for the books, the person's data goes from every id of the profile."""
    ids = merged_ids(session, customer.id)
    for row in session.scalars(select(Customer).where(Customer.id.in_(ids))):
        row.name, row.phone, row.email, row.card = "", None, None, None
        row.marketing_email = row.marketing_sms = False
        row.erased_at = utcnow()
        row.updated_at = utcnow()
    scrub_timeline(session, ids)
    session.flush()
    return ids
