"""Dispatch tables: couriers, deliveries, the current plan and each delivery's status history.

The planner never sees these rows: :mod:`pos.dispatch.mapping` turns them into the plain
dataclasses of :mod:`pos.dispatch.deliveries` and :mod:`pos.dispatch.couriers`.
"""
import datetime as dt
import uuid

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text,
                        Time, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Timestamp

DELIVERY_STATUSES = ("open", "assigned", "out_for_delivery", "delivered", "failed", "cancelled")
SOURCES = ("web_order", "marketplace_order", "store_sale")


class Courier(Base):
    """Someone who drives the shop's deliveries; the secret link to their schedule is kept only as a hash."""

    __tablename__ = "courier"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # date.weekday() numbers, 0 = Monday.
    working_days: Mapped[list] = mapped_column(Json, default=lambda: [0, 1, 2, 3, 4])
    shift_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    shift_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(16, 0))
    max_stops: Mapped[int] = mapped_column(Integer, default=40)
    max_weight_g: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    postal_prefixes: Mapped[list] = mapped_column(Json, default=list)
    areas: Mapped[list] = mapped_column(Json, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CourierDayOff(Base):
    """A day the courier does not drive: leave, or reported sick (which triggers a re-plan)."""

    __tablename__ = "courier_day_off"
    __table_args__ = (UniqueConstraint("courier_id", "day"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courier.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32), default="leave")  # sick | leave | other
    recorded_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Delivery(Base):
    """A promise to bring parcels to an address, from a web order, a marketplace order or a store sale."""

    __tablename__ = "delivery"
    __table_args__ = (
        # One delivery per order or sale: a retried request finds the first one.
        UniqueConstraint("source", "source_ref"),
        CheckConstraint("parcels >= 1", name="parcels_positive"),
        CheckConstraint("weight_g >= 0", name="weight_not_negative"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(32))  # web_order | marketplace_order | store_sale
    source_ref: Mapped[str] = mapped_column(String(100))  # order number or sale id
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    recipient: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    weight_g: Mapped[int] = mapped_column(BigInteger, default=0)
    earliest: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    latest: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    window_start: Mapped[dt.time | None] = mapped_column(Time, nullable=True)
    window_end: Mapped[dt.time | None] = mapped_column(Time, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    failure_reason: Mapped[str] = mapped_column(String(500), default="")
    pin_courier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courier.id"), nullable=True)
    pin_day: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """The current plan: at most one row per delivery (who brings it, which day, which stop)."""

    __tablename__ = "delivery_assignment"
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delivery.id"), primary_key=True)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courier.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    planned_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class DeliveryStatusEvent(Base):
    """Append-only: every status a delivery went through, who said so and why."""

    __tablename__ = "delivery_status_event"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delivery.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))  # a delivery status, or picked_up
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100))  # courier:<id> | manager:<login> | planner | source
    courier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courier.id"), nullable=True)
    details: Mapped[dict] = mapped_column(Json, default=dict)
