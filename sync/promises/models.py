"""HQ side: promise conflicts — a store's sale left fewer units on hand than HQ had promised there."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Quantity, Timestamp

OPEN, APPLIED, DISMISSED, SETTLED = "open", "applied", "dismissed", "settled"


class PromiseConflict(Base):
    """Units HQ promised at a store (held or committed reservations) that the store's own sales took: a manager
    sold them anyway, or the till sold them before it heard of the hold.  One open incident per (location,
    product): a later shortfall there brings it up to date instead of opening a second one.  The proposal is
    computed from the levels and reservations at the time; a manager applies it (re-source or cancel the
    reservations, never driving a level negative) or dismisses it, both audited."""

    __tablename__ = "promise_conflict"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)  # open | applied | dismissed | settled
    # "<location>:<product>" while open, NULL after: the database itself keeps one open incident per pair.
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)
    on_hand: Mapped[int] = mapped_column(Quantity)  # at the store, as HQ holds it
    promised: Mapped[int] = mapped_column(Quantity)  # reserved + committed there
    short: Mapped[int] = mapped_column(Quantity)  # promised − max(0, on_hand)
    reservations: Mapped[list] = mapped_column(Json)  # [{id, channel, reference, order_id, status, quantity}]
    causes: Mapped[list] = mapped_column(Json)  # [{entity, id}]: the store's changes that took the units
    proposal: Mapped[dict] = mapped_column(Json)  # {action, steps: [...]}
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cashier.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
