"""Loyalty: the shop's programme (earning rate, product-group multipliers, tiers) and each customer's
account with its append-only ledger of points.  HQ (or a standalone node) holds them; a store asks HQ."""
import datetime as dt
import uuid

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Money, Timestamp


class LoyaltyProgramme(Base):
    """One per shop (node).  Earning: ``points_per_unit`` points per whole currency unit paid (other than
    with points), times the line's product-group multiplier and the customer's tier multiplier.  Spending:
    one point is worth ``point_value`` minor units.  Tiers count points earned over ``rolling_days``."""

    __tablename__ = "loyalty_programme"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    points_per_unit: Mapped[int] = mapped_column(Integer, default=1)
    point_value: Mapped[int] = mapped_column(Integer, default=1)  # minor units one point pays
    rolling_days: Mapped[int] = mapped_column(Integer, default=365)
    group_multipliers: Mapped[dict] = mapped_column(Json, default=dict)  # product group -> basis points
    tiers: Mapped[list] = mapped_column(Json, default=list)  # [{name, threshold, multiplier_bp}] ascending
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class LoyaltyAccount(Base):
    """A customer's points; ``balance`` is the sum of the ledger, kept with it in one transaction."""

    __tablename__ = "loyalty_account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), unique=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class LoyaltyEntry(Base):
    """One movement of points, once: ``key`` names its cause (sale:ID, return:ID, redeem:CLIENT:KEY …)."""

    __tablename__ = "loyalty_entry"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loyalty_account.id"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # earn | reverse | redeem | void | refund
    points: Mapped[int] = mapped_column(BigInteger)  # signed
    value: Mapped[int] = mapped_column(Money, default=0)  # the money it was earned on or paid
    currency: Mapped[str] = mapped_column(String(3), default="")
    channel: Mapped[str] = mapped_column(String(32), default="")  # store:S1 | webshop | allegro …
    reference: Mapped[str] = mapped_column(String(100), default="")  # sale id, order id, return id …
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(Json, default=dict)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
