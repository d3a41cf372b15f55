"""Gift cards: a multi-purpose voucher with a code, a currency, a balance and an expiry.

HQ (or a standalone node) holds the authoritative balance; every change of it is an entry with its own
idempotency key, so a redemption retried, replayed or sent by two channels is spent once.  A store holds, per
card, an *offline allowance*: an amount HQ took out of the card's spendable balance for that store (a lease)
that the store may spend while HQ cannot be reached."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Json, Money, Timestamp


class GiftCard(Base):
    __tablename__ = "gift_card"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # "GC" + 16 letters/digits, no 0/O, 1/I
    currency: Mapped[str] = mapped_column(Currency)
    initial_amount: Mapped[int] = mapped_column(Money)
    balance: Mapped[int] = mapped_column(Money)  # authoritative at HQ / standalone; a store's copy is informative
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | cancelled
    issued_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(100))  # store:S1 | journey:<run> | hq:<login> | web:<client>
    sale_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True)  # the sale that sold it, if any
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True)
    issue_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)


class GiftCardEntry(Base):
    """One movement of a card's balance: issue (+), redeem (−), refund (+), expire (−)."""

    __tablename__ = "gift_card_entry"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gift_card.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # issue | redeem | refund | expire
    amount: Mapped[int] = mapped_column(Money)  # signed: what it did to the balance
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(100))  # store:S1 | web:<client> | journey | hq
    reference: Mapped[str] = mapped_column(String(100), default="")  # sale id, order id …
    offline: Mapped[bool] = mapped_column(default=False)  # spent from a store's allowance without HQ
    balance_after: Mapped[int] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)


class GiftCardLease(Base):
    """HQ: the part of a card's balance a store may spend offline; not spendable elsewhere while held."""

    __tablename__ = "gift_card_lease"
    __table_args__ = (UniqueConstraint("card_id", "store"), CheckConstraint("amount >= 0", name="lease_not_negative"))
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gift_card.id"), index=True)
    store: Mapped[str] = mapped_column(String(32))  # the store's code
    amount: Mapped[int] = mapped_column(Money)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    granted_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class GiftCardAllowance(Base):
    """A store's side of its lease: what it may still spend of the card without asking HQ."""

    __tablename__ = "gift_card_allowance"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_id: Mapped[uuid.UUID] = mapped_column(Id)
    currency: Mapped[str] = mapped_column(Currency)
    amount: Mapped[int] = mapped_column(Money)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)  # the lease's end at HQ
    card_expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class GiftCardIncident(Base):
    """HQ: a store's offline spend HQ could not honour in full (its lease was gone and the card spent
    elsewhere).  HQ took what the card had, never below zero; the rest is this incident's ``short``."""

    __tablename__ = "gift_card_incident"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32), default="offline-overspend")
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gift_card.id"), index=True)
    store: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    asked: Mapped[int] = mapped_column(Money)
    taken: Mapped[int] = mapped_column(Money)
    short: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(Currency)
    details: Mapped[dict] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | resolved
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
