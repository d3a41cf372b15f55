"""Events for subscribers: queued as deliveries in the transaction that caused them.

stock.changed      a channel's ATS for a SKU changed
customer.purchased a web order, or a store sale with a customer (read from the change feed)
return.created     a store return (from the change feed), e.g. for an NPS survey
stock.oversold     a marketplace order for pieces no longer there (sync/channels raises the incident)
reservation.cancelled  HQ cancelled a shop's reservation (a store sold the promised units; sync/promises)"""
from __future__ import annotations

from sqlalchemy import select

from pos.db import utcnow
from pos.feed.models import Change
from pos.ids import new_id
from pos.sales.models import Sale
from pos.customers.models import Customer
from sync.webhooks.models import FeedCursor, WebhookDelivery, WebhookSubscription

EVENTS = ("stock.changed", "customer.purchased", "return.created", "delivery.updated", "stock.oversold",
          "reservation.cancelled", "journey.step")
FEED_CURSOR = "webhooks"


def enqueue(session, event: str, data: dict) -> int:
    """One pending delivery per active subscription to the event; returns how many."""
    now = utcnow()
    queued = 0
    for subscription in _subscribers(session, event):
        envelope = {"id": str(new_id()), "type": event, "created_at": now.isoformat(), "data": data}
        session.add(WebhookDelivery(subscription_id=subscription.id, event=event, payload=envelope, status="pending",
                                    attempts=0, next_attempt_at=now, created_at=now))
        queued += 1
    if queued:
        from sync.engine.defer import defer
        defer(session, "deliver_webhooks")  # at HQ the delivery job commits with the deliveries
    return queued


def _subscribers(session, event: str) -> list:
    return [s for s in session.scalars(select(WebhookSubscription).where(WebhookSubscription.active))
            if event in s.events]


def stock_changed(session, changes) -> int:
    if not changes or not _subscribers(session, "stock.changed"):
        return 0
    return sum(enqueue(session, "stock.changed", {"channel": c.channel, "sku": c.sku, "available": c.available,
                                                  "previous": c.previous, "cursor": str(c.seq)})
               for c in changes)


def _customer(session, customer_id) -> dict | None:
    if not customer_id:
        return None
    import uuid
    customer = session.get(Customer, uuid.UUID(str(customer_id)))
    if customer is None:
        return {"id": str(customer_id), "email": None, "phone": None}
    return {"id": str(customer.id), "email": customer.email, "phone": customer.phone}


def from_change_feed(session, limit: int = 500) -> int:
    """Turn new store sales (with a customer) and returns into events; the cursor moves in the same transaction."""
    cursor = session.get(FeedCursor, FEED_CURSOR)
    if cursor is None:
        cursor = FeedCursor(name=FEED_CURSOR, seq=0)
        session.add(cursor)
        session.flush()
    changes = list(session.scalars(select(Change).where(Change.seq > cursor.seq, Change.entity.in_(("sale", "return")))
                                   .order_by(Change.seq).limit(limit)))
    queued = 0
    for change in changes:
        payload = change.payload or {}
        if change.entity == "sale" and payload.get("customer_id"):
            queued += enqueue(session, "customer.purchased", {
                "customer": _customer(session, payload["customer_id"]), "channel": f"store:{payload.get('store')}",
                "sale_id": payload.get("id"), "receipt_number": payload.get("receipt_number"),
                "total": payload.get("total"), "currency": payload.get("currency"),
                "lines": [{"sku": l.get("sku"), "quantity": l.get("quantity")} for l in payload.get("lines", [])]})
        elif change.entity == "return":
            customer_id = session.scalar(select(Sale.customer_id).where(Sale.id == _uuid(payload.get("sale_id"))))
            queued += enqueue(session, "return.created", {
                "return_id": payload.get("id"), "sale_id": payload.get("sale_id"), "store": payload.get("store"),
                "customer": _customer(session, customer_id), "total": payload.get("total"),
                "currency": payload.get("currency"), "reason": payload.get("reason", ""),
                "lines": payload.get("lines", [])})
    if changes:
        cursor.seq = changes[-1].seq
    return queued


def _uuid(value):
    import uuid
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
