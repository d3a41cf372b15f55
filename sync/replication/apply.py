"""HQ side: apply one pushed batch from one store, in one transaction, each store change exactly once.

Exactly once rests on two keys: ``applied_change`` (store, change id) says which changes of this store are in
(never a seq: a store restored from a backup hands out the same seqs again for new changes),
and the facts keep their natural ids (sale id, return id, Z report per terminal).  The store's contact row
is locked first, so two pushes from the same store (a worker and an operator's `flask sync once`) take
turns instead of both applying the same batch."""
from __future__ import annotations

from sqlalchemy import select

from pos.customers.services import customer_json, erase, upsert_from_store
from pos.db import utcnow
from pos.feed.services import record_change
from pos.stores.models import AppliedChange, StoreContact
from sync.replication import bulk
from sync.replication.apply_facts import (apply_day_report, apply_return, apply_shift, apply_stock,
                                           apply_stock_document)
from sync.replication.apply_sales import apply_sales
from sync.replication.checks import CHECKS
from sync.replication.references import References, as_uuid

# Facts are applied in this order within a batch: what a sale points at comes first, what closes a shift last.
ORDER = ("customer", "sale", "return", "stock_movement", "stock_document", "shift", "day_report")
OWNED_BY_STORE = ("sale", "return", "shift", "day_report")
APPLIED = (AppliedChange.__table__, ("location_id", "change_id", "seq", "epoch_id", "entity", "entity_id",
                                     "applied_at"))


class BatchRefused(Exception):
    def __init__(self, status: int, slug: str, detail: str):
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail


def lock_contact(session, location) -> StoreContact:
    contact = session.scalars(select(StoreContact).where(StoreContact.location_id == location.id)
                              .with_for_update()).one_or_none()
    if contact is None:
        contact = StoreContact(location_id=location.id, applied_through=0, changes_applied=0)
        session.add(contact)
        session.flush()
    return contact


def apply_batch(session, location, changes: list[dict], epoch_id=None) -> dict:
    contact = lock_contact(session, location)
    for change in changes:
        store = change["payload"].get("store")
        if change["entity"] in OWNED_BY_STORE and store not in (None, location.code):
            raise BatchRefused(403, "other-store", f"changes[seq={change['seq']}]: belongs to store {store}, "
                                                   f"this token is {location.code}'s")
    seqs = [change["seq"] for change in changes]
    ids = [change["id"] for change in changes]
    done = set(session.scalars(select(AppliedChange.change_id).where(
        AppliedChange.location_id == location.id, bulk.among(session, AppliedChange.change_id, ids))))
    fresh, seen = [], set(done)
    for index, change in enumerate(changes):
        if change["id"] not in seen:
            seen.add(change["id"])
            fresh.append(change)
            if check := CHECKS.get(change["entity"]):
                check(change["payload"], f"changes[{index}].payload")
    refs = References(session, location)
    by_entity: dict[str, list[dict]] = {}
    for change in fresh:
        by_entity.setdefault(change["entity"], []).append(change)
    ignored = sorted(set(by_entity) - set(ORDER))
    for entity in ORDER:
        group = by_entity.get(entity, [])
        if not group:
            continue
        if entity == "sale":
            apply_sales(session, refs, [c["payload"] for c in group])
        elif entity == "customer":
            for change in group:
                _apply_customer(session, location, change)
        else:
            handler = {"return": apply_return, "shift": apply_shift, "day_report": apply_day_report,
                       "stock_document": apply_stock_document,
                       "stock_movement": apply_stock}[entity]
            for change in group:
                handler(session, refs, change["payload"])
    now = utcnow()
    bulk.write(session, *APPLIED, [(location.id, c["id"], c["seq"], epoch_id, c["entity"], c["entity_id"][:36], now)
                                   for c in fresh])
    contact.applied_through = max(contact.applied_through or 0, max(seqs, default=0))
    contact.changes_applied = (contact.changes_applied or 0) + len(fresh)
    contact.last_push_at = contact.last_seen_at = now  # freshness is stamped by the caller (freshness.py)
    return {"through": max(seqs, default=None), "received": len(changes), "applied": len(fresh),
            "duplicates": len(changes) - len(fresh), "ignored_entities": ignored}


def _apply_customer(session, location, change: dict) -> None:
    payload, origin = change["payload"], f"store:{location.code}"
    if change["op"] == "erased" or payload.get("erased"):
        from pos.customers.merges import resolve
        customer = resolve(session, as_uuid(payload["id"]))
        if customer is None or customer.erased_at is not None:
            return
        changed_ids = erase(session, customer)
        from pos.customers.models import Customer
        changed = list(session.scalars(select(Customer).where(Customer.id.in_(changed_ids))))
        op = "erased"
    else:
        changed = upsert_from_store(session, payload, origin)
        op = "upserted"
    # Survivors first: a store applying a redirect must already know where it points.
    for customer in sorted(changed, key=lambda c: c.merged_into is not None):
        record_change(session, "customer", customer.id, customer_json(customer), op=op)
