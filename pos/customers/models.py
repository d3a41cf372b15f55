import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Timestamp


class Customer(Base):
    """The customer profile a sale is recorded against.

    A profile merged into another keeps its row (so its id still resolves) with ``merged_into`` set and no
    identities of its own; an erased profile keeps its row (sales point at it) with the person's data blanked."""

    __tablename__ = "customer"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True, nullable=True)  # normalised
    card: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    origin: Mapped[str] = mapped_column(String(32), default="")  # store:S1 | hq | webshop …
    marketing_email: Mapped[bool] = mapped_column(Boolean, default=False)
    marketing_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class CustomerMerge(Base):
    """Two profiles found to be one person: the merged id redirects to the survivor from then on."""

    __tablename__ = "customer_merge"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), unique=True)
    matched_on: Mapped[str] = mapped_column(String(16))  # phone | email | card | manual
    origin: Mapped[str] = mapped_column(String(32), default="")  # whose change revealed the duplicate
    merged_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


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
