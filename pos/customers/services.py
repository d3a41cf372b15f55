"""The customer's timeline; identities and merges grow in the sync issue."""
from __future__ import annotations

from pos.customers.models import CustomerEvent
from pos.db import utcnow


def record_interaction(session, customer_id, channel: str, kind: str, reference, details: dict | None = None,
                       at=None) -> CustomerEvent:
    event = CustomerEvent(customer_id=customer_id, channel=channel, kind=kind, reference=str(reference),
                          details=details or {}, at=at or utcnow())
    session.add(event)
    return event
