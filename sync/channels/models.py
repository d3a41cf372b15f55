"""Tables for selling on the marketplaces from HQ: which listing is which SKU, what each channel was last
told, where each channel's order pull stopped, the orders imported and the oversells found."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Quantity, Timestamp


class ChannelListing(Base):
    """One SKU's listing on one channel, and the push bookkeeping that keeps an older figure from
    overwriting a newer one.

    ``wanted_*`` is the newest available-to-sell we know for the channel (seq = the availability feed's
    seq it came from); ``pushed_*`` is what the channel confirmed.  A push is due while
    wanted_seq > pushed_seq; a confirmation only lands if it is newer than the one already stored."""

    __tablename__ = "channel_listing"
    __table_args__ = (UniqueConstraint("channel", "sku"), UniqueConstraint("channel", "listing_id"))
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(32))  # allegro | amazon | ebay | shopify
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"), index=True)
    listing_id: Mapped[str] = mapped_column(String(200))  # offer id | seller SKU | inventory SKU | InventoryItem GID
    wanted_quantity: Mapped[int] = mapped_column(Quantity, default=0)
    wanted_seq: Mapped[int] = mapped_column(Quantity, default=0)
    pushed_quantity: Mapped[int | None] = mapped_column(Quantity, nullable=True)
    pushed_seq: Mapped[int] = mapped_column(Quantity, default=-1)
    pushed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    # A SKU the channel refused is sent again from this moment on (its own back-off; others go at once).
    retry_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class ChannelState(Base):
    """Per channel: the feed and order cursors, back-off, the rotated refresh token, last runs."""

    __tablename__ = "channel_state"
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    feed_seq: Mapped[int] = mapped_column(Quantity, default=0)  # availability_change read up to here
    order_cursor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Allegro rotates refresh tokens: the newest one is kept here (plain; the DB is the secret store).
    refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    # sha256 of the configured token the stored one descends from: a new one in the environment wins.
    refresh_token_seed: Mapped[str | None] = mapped_column(String(64), nullable=True)
    backoff_until: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_push_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_reconcile_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_reconcile: Mapped[dict | None] = mapped_column(Json, nullable=True)  # what the last run corrected
    pushed_total: Mapped[int] = mapped_column(Quantity, default=0)
    orders_total: Mapped[int] = mapped_column(Quantity, default=0)
    # Pushes rest on their own: a channel whose pushes fail still imports its orders, and back.
    push_backoff_until: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    push_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    push_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class MarketplaceOrder(Base):
    """A channel's order, imported once: the unique (channel, channel_order_id) is the idempotency key."""

    __tablename__ = "marketplace_order"
    __table_args__ = (UniqueConstraint("channel", "channel_order_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(32))
    channel_order_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # reserved | oversold | unmatched
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"), nullable=True)
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reservation.id"), nullable=True)
    total: Mapped[int] = mapped_column(Quantity, default=0)  # minor units of currency
    currency: Mapped[str] = mapped_column(String(3), default="")
    lines: Mapped[list] = mapped_column(Json)  # [{sku, listing_id, quantity, unit_price}]
    channel_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class ChannelIncident(Base):
    """Something a person must decide: an order for stock no longer there (oversold), for a listing
    we cannot map to a SKU (unknown-listing), or a SKU whose figure the channel refuses (push-refused:
    one open incident per channel and SKU, no order, resolved by itself once the channel takes it)."""

    __tablename__ = "channel_incident"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))  # oversold | unknown-listing | push-refused
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | resolved
    channel: Mapped[str] = mapped_column(String(32))
    channel_order_id: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("marketplace_order.id"), nullable=True)
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requested: Mapped[int] = mapped_column(Quantity, default=0)
    available: Mapped[int] = mapped_column(Quantity, default=0)
    involved: Mapped[list] = mapped_column(Json)  # [{channel, quantity, what}]: who was showing / selling what
    suggestion: Mapped[dict] = mapped_column(Json)  # {action: fulfil-from|cancel, location, spare, text}
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
