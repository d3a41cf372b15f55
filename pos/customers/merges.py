"""Merges: a customer id once handed out always resolves, directly or through merges, to one living profile."""
from __future__ import annotations

from sqlalchemy import select, text, update

from pos.customers.models import Customer, CustomerMerge
from pos.db import utcnow

MAX_HOPS = 64  # redirects are compressed on every merge, so real chains are one hop long


class MergeCycle(RuntimeError):
    pass


IDENTITY_LOCK = 0x5053_4355  # one PostgreSQL advisory lock for "who is this person" decisions


def lock_identities(session) -> None:
    """Two stores pushing the same new person at once must not both find no match and both insert: whoever
    decides on identities holds this lock to commit.  SQLite already runs one writer at a time."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IDENTITY_LOCK})


def resolve(session, customer_id) -> Customer | None:
    """The living profile an id stands for, following merge redirects; None for an unknown id."""
    customer = session.get(Customer, customer_id)
    seen = set()
    while customer is not None and customer.merged_into is not None:
        if customer.id in seen or len(seen) > MAX_HOPS:
            raise MergeCycle(f"customer {customer_id} redirects in a cycle")
        seen.add(customer.id)
        customer = session.get(Customer, customer.merged_into)
    return customer


def merged_ids(session, survivor_id) -> list:
    """The survivor and every id redirecting to it (redirects are kept one hop long)."""
    return [survivor_id, *session.scalars(select(Customer.id).where(Customer.merged_into == survivor_id)
                                          .order_by(Customer.created_at))]


def living_matches(session, phone=None, email=None, card=None) -> list[tuple[Customer, str]]:
    """Living profiles sharing any identity, oldest first, each with what matched."""
    found: dict = {}
    for field, value in (("card", card), ("phone", phone), ("email", email)):
        if not value:
            continue
        for customer in session.scalars(select(Customer).where(
                getattr(Customer, field) == value, Customer.merged_into.is_(None), Customer.erased_at.is_(None))):
            found.setdefault(customer.id, (customer, field))
    return sorted(found.values(), key=lambda pair: (pair[0].created_at, str(pair[0].id)))


def merge(session, survivor: Customer, merged: Customer, matched_on: str, origin: str = "") -> CustomerMerge | None:
    """Fold ``merged`` into ``survivor``: the survivor gains what it lacked, the merged row keeps only its id
    and the redirect, and everything that redirected to it now redirects to the survivor."""
    survivor, merged = resolve(session, survivor.id), resolve(session, merged.id)
    if survivor.id == merged.id:
        return None
    taken = {field: getattr(merged, field) for field in ("name", "phone", "email", "card")}
    newer = merged if merged.updated_at and survivor.updated_at and merged.updated_at > survivor.updated_at else survivor
    merged.phone = merged.email = merged.card = None
    merged.merged_into = survivor.id
    merged.updated_at = utcnow()
    session.flush()  # the card is unique: free it before the survivor takes it
    for field, value in taken.items():
        if value and not getattr(survivor, field):
            setattr(survivor, field, value)
    survivor.marketing_email, survivor.marketing_sms = newer.marketing_email, newer.marketing_sms
    survivor.updated_at = utcnow()
    session.execute(update(Customer).where(Customer.merged_into == merged.id).values(merged_into=survivor.id))
    record = CustomerMerge(survivor_id=survivor.id, merged_id=merged.id, matched_on=matched_on, origin=origin,
                           merged_at=utcnow())
    session.add(record)
    session.flush()
    return record
