"""HQ side: refused store changes, and the cross-store returns HQ has authorised."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Quantity, Timestamp

HELD, REPLAYED, DISCARDED = "held", "replayed", "discarded"


class QuarantinedChange(Base):
    """A store change HQ refused, exactly as the store sent it (the store has moved past it).  Held until an
    operator replays it (as sent or fixed) or discards it; both are audited.  One row per (store, change id),
    never per seq (a store restored from a backup hands seqs out again): the same change sent again is counted,
    not held twice."""

    __tablename__ = "quarantined_change"
    __table_args__ = (UniqueConstraint("location_id", "change_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), index=True)
    change_id: Mapped[uuid.UUID] = mapped_column(Id)  # the change's own id, as the store made it
    seq: Mapped[int] = mapped_column(Quantity)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(16), default="created")
    payload: Mapped[dict] = mapped_column(Json)  # as received; a fix replaces it only when the replay succeeds
    status: Mapped[str] = mapped_column(String(16), default=HELD, index=True)  # held | replayed | discarded
    problem: Mapped[dict] = mapped_column(Json)  # the RFC 9457 problem HQ answered with
    received_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    times_received: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cashier.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class CrossStoreReturn(Base):
    """HQ's authorisation for one store to take back a sale made at another store.  Without it, such a
    return pushed by the store is quarantined (a store token cannot reach another store's sale)."""

    __tablename__ = "cross_store_return"
    __table_args__ = (UniqueConstraint("sale_id", "location_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))  # the store taking it back
    authorised_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    authorised_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    reason: Mapped[str] = mapped_column(String(300), default="")


class RefusedAtHq(Base):
    """Store side: a change of ours HQ quarantined.  The push cursor moves past it (the queue must flow),
    this note remembers it until HQ's operator has replayed or discarded it."""

    __tablename__ = "refused_at_hq"
    seq: Mapped[int] = mapped_column(Quantity, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    quarantine_id: Mapped[str] = mapped_column(String(36))
    problem: Mapped[dict] = mapped_column(Json)
    refused_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
