import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Quantity, Sequence, Timestamp


class StockMovement(Base):
    """Append-only: stock changes only by adding a row here (and the level with it)."""

    __tablename__ = "stock_movement"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Quantity)  # signed: − out, + in
    reason: Mapped[str] = mapped_column(String(16))  # sale | return | receipt | transfer_out | transfer_in | count | damage
    reference_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class StockLevel(Base):
    """Per location and product: on hand (always the sum of the ledger) and what is promised of it.

    reserved = held web/marketplace reservations, committed = ordered but not yet shipped,
    safety_stock = kept back from every online channel, hq_held = (at a store) HQ's holds on this store's units.  One row is the unit a reservation locks."""

    __tablename__ = "stock_level"
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), primary_key=True)
    # indexed on its own: reservations and availability look a SKU up across every location
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"), primary_key=True, index=True)
    on_hand: Mapped[int] = mapped_column(Quantity, default=0)
    reserved: Mapped[int] = mapped_column(Quantity, default=0, server_default="0")
    committed: Mapped[int] = mapped_column(Quantity, default=0, server_default="0")
    safety_stock: Mapped[int] = mapped_column(Quantity, default=0, server_default="0")
    # At a store node: the units HQ holds here for web and marketplace orders, as HQ last told us (reserved +
    # committed at HQ).  The till sells only what is left free of them; HQ's own rows keep it 0.
    hq_held: Mapped[int] = mapped_column(Quantity, default=0, server_default="0")


class StockDocument(Base):
    """A goods receipt, transfer, count or damage write-off as entered; its ledger rows reference it."""

    __tablename__ = "stock_document"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # receipt | transfer | count | damage
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("location.id"), nullable=True)
    reference: Mapped[str] = mapped_column(String(100), default="")  # supplier's delivery note, …
    note: Mapped[str] = mapped_column(String(500), default="")
    lines: Mapped[list] = mapped_column(Json)  # what was entered: [{sku, quantity}] or [{sku, counted, delta}]
    entered_by: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class SalesChannel(Base):
    """How much of the serving locations' spare stock a channel may sell (codes without a row use defaults)."""

    __tablename__ = "sales_channel"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)  # webshop | allegro | … | collect:S1
    all_locations: Mapped[bool] = mapped_column(Boolean, default=True)  # else only its channel_location rows
    buffer: Mapped[int] = mapped_column(Quantity, default=0)  # kept back per SKU from the pooled spare
    share_percent: Mapped[int] = mapped_column(Integer, default=100)
    cap: Mapped[int | None] = mapped_column(Quantity, nullable=True)


class ChannelLocation(Base):
    __tablename__ = "channel_location"
    channel_code: Mapped[str] = mapped_column(ForeignKey("sales_channel.code"), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), primary_key=True)


class Reservation(Base):
    """Stock held for a checkout or marketplace order.  Never deleted: status moves, events record each move."""

    __tablename__ = "reservation"
    __table_args__ = (UniqueConstraint("channel", "reference"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(100))  # the shop's cart or order reference
    status: Mapped[str] = mapped_column(String(16), index=True)  # held | committed | released | expired | fulfilled | returned
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    order_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    lines: Mapped[list["ReservationLine"]] = relationship(order_by="ReservationLine.position")
    events: Mapped[list["ReservationEvent"]] = relationship(order_by="ReservationEvent.at")


class ReservationLine(Base):
    """One SKU at one location: a line the shop sent may be split over several locations."""

    __tablename__ = "reservation_line"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    reservation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reservation.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Quantity)


class ReservationEvent(Base):
    __tablename__ = "reservation_event"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    reservation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reservation.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class ChannelAvailability(Base):
    """The last available-to-sell published per channel and product: a change is a difference from this."""

    __tablename__ = "channel_availability"
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"), primary_key=True)
    available: Mapped[int] = mapped_column(Quantity)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class AvailabilityChange(Base):
    """Append-only feed of ATS changes, read by shops with a cursor (seq)."""

    __tablename__ = "availability_change"
    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str] = mapped_column(String(64))
    available: Mapped[int] = mapped_column(Quantity)
    previous: Mapped[int | None] = mapped_column(Quantity, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class StockLevelMark(Base):
    """A level that moved since availability last looked: written by a database trigger on stock_level
    (every writer, in its own transaction), read and cleared by sync.stock.availability seq by seq.

    Insert-only from the till's side (no row two sales would contend for); the publisher deletes exactly
    the seqs it read, so a mark committed while it worked stays for its next round."""

    __tablename__ = "stock_level_mark"
    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    location_id: Mapped[uuid.UUID] = mapped_column(Id)
    product_id: Mapped[uuid.UUID] = mapped_column(Id)


class AvailabilityState(Base):
    """One row: what the availability publisher last worked from.

    generation goes up with every publishing transaction; a publisher whose reads began at an older
    generation writes nothing (someone newer published meanwhile).  rules and weights are what the
    last complete round used: a channel whose rule differs is recomputed in full, a location whose
    weight differs has every product it holds recomputed."""

    __tablename__ = "availability_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Sequence, default=0)
    rules: Mapped[dict] = mapped_column(Json, default=dict)  # channel code → rule as text
    weights: Mapped[dict] = mapped_column(Json, default=dict)  # location id → percent
    # stores HQ had not heard from lately (their SKUs' sales buffers grow by the second): recomputed each round
    buffered: Mapped[list] = mapped_column(Json, default=list, server_default="[]")
