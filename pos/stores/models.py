import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Quantity, Timestamp


class Location(Base):
    """A store or a warehouse: where stock is and where sales happen."""

    __tablename__ = "location"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="store")
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(Currency)
    address: Mapped[str] = mapped_column(String(300), default="")
    tax_id: Mapped[str] = mapped_column(String(32), default="")
    # When HQ last heard from this store (a push or a pull).  Online channels count a store's stock
    # only while this is recent: its offline sales are unknown (POS_STALE_STORE_SECONDS).
    last_heard_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class Terminal(Base):
    """A till.  Its receipt counter lives here so numbering is gapless per terminal."""

    __tablename__ = "terminal"
    __table_args__ = (UniqueConstraint("location_id", "code"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    code: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5), default="pl")
    last_receipt_number: Mapped[int] = mapped_column(Quantity, default=0)
    last_day_report_number: Mapped[int] = mapped_column(Quantity, default=0)
    printer_url: Mapped[str] = mapped_column(String(300), default="")
    fiscal_url: Mapped[str] = mapped_column(String(300), default="")
    display_url: Mapped[str] = mapped_column(String(300), default="")
    scanner_url: Mapped[str] = mapped_column(String(300), default="")
    scale_url: Mapped[str] = mapped_column(String(300), default="", server_default="")


class StoreToken(Base):
    """HQ side: the credential a store node syncs with.  Only the token's SHA-256 is kept."""

    __tablename__ = "store_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class StoreContact(Base):
    """HQ side: when each store was last heard from, and how far its pushes have been applied."""

    __tablename__ = "store_contact"
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), primary_key=True)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_push_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    applied_through: Mapped[int] = mapped_column(Quantity, default=0)  # the store's feed seq
    changes_applied: Mapped[int] = mapped_column(Quantity, default=0)


class AppliedChange(Base):
    """HQ side: each store change applied once, known by the change's own id.  A seq is kept for the
    record only: a store restored from a backup hands out the same seqs again for new changes."""

    __tablename__ = "applied_change"
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), primary_key=True)
    change_id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True)
    seq: Mapped[int] = mapped_column(Quantity)
    epoch_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    applied_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class StoreEpoch(Base):
    """One life of a store's database, new when it is created and on every restore.

    At the store: its own epochs, the newest is current; until HQ has answered for it (``confirmed_at``:
    receipt numbers and the feed moved above what HQ holds) or a manager allowed selling offline, the
    tills refuse to sell.  At HQ (``location_id`` set): the epochs each store introduced itself with."""

    __tablename__ = "store_epoch"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("location.id"), nullable=True, index=True)
    reason: Mapped[str] = mapped_column(String(16))  # created | restored | upgraded
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    # At the store: HQ's highest seq for it when this epoch was confirmed (the feed continues above it).
    # At HQ: the highest seq received in this epoch (a lower unknown change means the database went back).
    hq_seq: Mapped[int] = mapped_column(Quantity, default=0)
    offline_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    offline_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cashier.id"), nullable=True)


class SyncCursor(Base):
    """Store side: how far each direction has got, and its backoff state while HQ is unreachable."""

    __tablename__ = "sync_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # push | pull
    position: Mapped[int] = mapped_column(Quantity, default=0)  # push: our last acknowledged seq; pull: HQ's
    last_success_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_error_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
