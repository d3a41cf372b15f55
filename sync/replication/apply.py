"""HQ side: apply one pushed batch from one store, in one transaction, each store change exactly once —
or quarantined, never blocking the rest.

Exactly once rests on two keys: ``applied_change`` (store, change id) says which changes of this store are in
(never a seq: a store restored from a backup hands out the same seqs again for new changes),
and the facts keep their natural ids (sale id, return id, Z report per terminal).  The store's contact row
is locked first, so two pushes from the same store (a worker and an operator's `flask sync once`) take
turns instead of both applying the same batch.

Each change is checked on its own first (shape, sums, ranges, whose location it writes).  The rest are
applied an entity at a time inside a savepoint; should a group still fail (a receipt number HQ holds for
another sale, a return of another store's sale), it is rolled back to the savepoint and applied one change
at a time, so only the culprit is refused.  Refused changes go to the quarantine and the batch is
acknowledged through its last seq: the store's queue moves on."""
from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from pos.customers.services import customer_json, erase, upsert_from_store
from pos.db import utcnow
from pos.feed.services import record_change
from pos.stores.models import AppliedChange, StoreContact
from sync.promises import services as promises
from sync.quarantine import services as quarantine
from sync.replication import bulk
from sync.replication.apply_facts import (apply_day_report, apply_fiscal, apply_return, apply_shift, apply_stock,
                                           apply_stock_document)
from sync.replication.apply_sales import apply_sales
from sync.replication.apply_facts import apply_gift_card
from sync.replication.checks import Missing
from sync.replication.checks import CHECKS, Conflict, InvalidPayload, Refused, check_change
from sync.replication.references import References, as_uuid
from sync.stock.availability import Freshness

log = logging.getLogger(__name__)

# Facts are applied in this order within a batch: what a sale points at comes first, what closes a shift last.
ORDER = ("customer", "gift_card", "sale", "coupon_redemption", "fiscal", "return", "stock_movement", "stock_document",
         "shift", "day_report")
APPLIED = (AppliedChange.__table__, ("location_id", "change_id", "seq", "epoch_id", "entity", "entity_id",
                                     "applied_at"))


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
    seqs = [change["seq"] for change in changes]
    ids = [change["id"] for change in changes]
    done = set(session.scalars(select(AppliedChange.change_id).where(
        AppliedChange.location_id == location.id, bulk.among(session, AppliedChange.change_id, ids))))
    held = quarantine.held_for(session, location, ids)
    fresh, refused, again, seen = [], [], [], set(done)
    for index, change in enumerate(changes):
        if change["id"] in seen:
            continue
        seen.add(change["id"])
        if change["id"] in held:  # quarantined before; the store did not hear HQ's answer
            again.append(held[change["id"]])
            continue
        at = f"changes[{index}]"
        try:
            check_change(change, at, location.code)
        except Refused as exc:
            refused.append((change, exc))
        else:
            fresh.append((at, change))
    applied, failed = apply_changes(session, location, fresh)
    now = utcnow()
    bulk.write(session, *APPLIED, [(location.id, c["id"], c["seq"], epoch_id, c["entity"], c["entity_id"][:36], now)
                                   for c in applied])
    answers = quarantine.hold(session, location, refused + failed) + quarantine.heard_again(again)
    contact.applied_through = max(contact.applied_through or 0, max(seqs, default=0))
    contact.changes_applied = (contact.changes_applied or 0) + len(applied)
    contact.last_push_at = contact.last_seen_at = now  # freshness is stamped by the caller (freshness.py)
    return {"through": max(seqs, default=None), "received": len(changes), "applied": len(applied),
            "duplicates": sum(1 for change in changes if change["id"] in done), "quarantined": len(answers),
            "refused": sorted(answers, key=lambda a: a["seq"]),
            "ignored_entities": sorted({c["entity"] for c in applied} - set(ORDER))}


def apply_changes(session, location, items: list[tuple[str, dict]]) -> tuple[list[dict], list[tuple]]:
    """items: (how the request names it, change), all checked already.  Returns (applied changes,
    [(change, Refused)]): a group that fails is rolled back to its savepoint and applied one by one.
    Then units HQ promised at the store that its changes took become promise conflicts (sync.promises)."""
    applied, refused = _apply_changes(session, location, items)
    _check_promises(session, location, applied)
    return applied, refused


def _check_promises(session, location, applied: list[dict]) -> None:
    try:
        with session.begin_nested():
            promises.detect(session, location, {str(change["entity_id"]) for change in applied},
                            Freshness.from_config(current_app.config) if has_app_context() else Freshness("hq"))
    except Exception:  # noqa: BLE001 - the store's changes are in; a failed check must not send them back
        log.exception("promise check after %s's changes failed", location.code)


# A deadlock with another writer, a serialization failure, a lock wait given up: the database's passing state,
# not the change's fault.  Quarantining it would keep a good change out of HQ's books for ever.
TRANSIENT_SQLSTATES = {"40P01", "40001", "55P03"}


class HqBusy(Exception):
    """HQ's database failed for a passing reason: nothing of the batch stays applied; the store sends it again."""


def _transient(exc: Exception) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    return getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES or "database is locked" in str(orig)


def _apply_changes(session, location, items: list[tuple[str, dict]]) -> tuple[list[dict], list[tuple]]:
    refs = References(session, location)
    by_entity: dict[str, list[tuple[str, dict]]] = {}
    for at, change in items:
        by_entity.setdefault(change["entity"], []).append((at, change))
    applied = [change for entity, group in by_entity.items() if entity not in ORDER for _, change in group]
    refused = []
    for entity in ORDER:
        group = by_entity.get(entity, [])
        if len(group) > 1:
            try:
                with session.begin_nested():
                    _apply_group(session, refs, entity, [change for _, change in group])
                applied += [change for _, change in group]
                continue
            except Exception as exc:  # noqa: BLE001 - the culprit is found, and named, one change at a time below
                if _transient(exc):
                    raise HqBusy(_first_line(exc.orig)) from exc
        for at, change in group:
            try:
                with session.begin_nested():
                    _apply_group(session, refs, entity, [change])
                applied.append(change)
            except Exception as exc:  # noqa: BLE001 - whatever it is, it must not hold up the others
                if _transient(exc):
                    raise HqBusy(_first_line(exc.orig)) from exc
                refused.append((change, as_refusal(exc, at)))
    return applied, refused


def apply_one(session, location, change: dict, at: str = "change") -> Refused | None:
    """One change (an operator's replay): checked and applied in a savepoint; the refusal, if any."""
    try:
        check_change(change, at, location.code)
    except Refused as exc:
        return exc
    _applied, refused = apply_changes(session, location, [(at, change)])
    if refused:
        return refused[0][1]
    bulk.write(session, *APPLIED, [(location.id, change["id"], change["seq"], None, change["entity"],
                                    change["entity_id"][:36], utcnow())])
    return None


def as_refusal(exc: Exception, at: str) -> Refused:
    """What a change that failed while being applied is refused with.  Handlers name fields within the
    payload ('lines[0].quantity'); the answer names them within the request."""
    if isinstance(exc, Refused):
        exc.field = f"{at}.payload.{exc.field}" if exc.field else f"{at}.payload"
        return exc
    if isinstance(exc, IntegrityError):
        return Conflict(f"{at}.payload", f"HQ's database refused it: {_first_line(exc.orig)}")
    if isinstance(exc, DBAPIError):
        return InvalidPayload(f"{at}.payload", f"HQ's database refused it: {_first_line(exc.orig)}")
    log.exception("%s could not be applied", at)
    return InvalidPayload(f"{at}.payload", f"HQ could not apply it ({exc.__class__.__name__}: {exc})"[:400])


def _first_line(error) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else error.__class__.__name__


def apply_coupon_redemption(session, refs: References, p: dict) -> None:
    """A coupon a store took while cut off from HQ: recorded, and an incident when it broke a rule."""
    from pos.coupons.services import take_store_redemption
    try:
        take_store_redemption(session, refs.location.code, p)
    except LookupError as exc:
        raise Missing("campaign_id", f"{exc}; replay this redemption once the campaign is there") from None


HANDLERS = {"return": apply_return, "shift": apply_shift, "day_report": apply_day_report, "fiscal": apply_fiscal,
            "stock_document": apply_stock_document, "stock_movement": apply_stock, "gift_card": apply_gift_card,
            "coupon_redemption": apply_coupon_redemption}
assert set(HANDLERS) | {"sale", "customer"} == set(ORDER) == set(CHECKS)


def _apply_group(session, refs: References, entity: str, changes: list[dict]) -> None:
    if entity == "sale":
        apply_sales(session, refs, [c["payload"] for c in changes])
    elif entity == "customer":
        for change in changes:
            _apply_customer(session, refs.location, change)
    else:
        for change in changes:
            HANDLERS[entity](session, refs, change["payload"])


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
        # A profile a store sends was made or edited at that store, whatever its payload claims.
        changed = upsert_from_store(session, {**payload, "origin": origin}, origin)
        op = "upserted"
    # Survivors first: a store applying a redirect must already know where it points.
    for customer in sorted(changed, key=lambda c: c.merged_into is not None):
        record_change(session, "customer", customer.id, customer_json(customer), op=op)
