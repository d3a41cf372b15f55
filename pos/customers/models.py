import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Timestamp


class Customer(Base):
    """The customer profile a sale is recorded against (the central profile grows in the sync issue)."""

    __tablename__ = "customer"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True, nullable=True)  # normalised
    card: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class CustomerEvent(Base):
    """The customer's timeline: every interaction on any channel (store sale, return, web order, delivery…)."""

    __tablename__ = "customer_event"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    channel: Mapped[str] = mapped_column(String(32))  # store:S1 | webshop | allegro | amazon | ebay | shopify | courier
    kind: Mapped[str] = mapped_column(String(32))  # sale | return | order | delivery | profile
    reference: Mapped[str] = mapped_column(String(100), default="")  # sale id, order id, …
    details: Mapped[dict] = mapped_column(Json, default=dict)
