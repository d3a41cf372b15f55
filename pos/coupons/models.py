"""Coupons: campaigns with rules, the codes that carry them, and every use of a code.

HQ (or a standalone node) holds the authoritative records; a store keeps what it applied to its own baskets
and the redemptions it had to take on its own while cut off from HQ."""
import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Json, Money, Timestamp


class CouponCampaign(Base):
    """The rules a code carries: a percent or a fixed amount off the goods it applies to."""

    __tablename__ = "coupon_campaign"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    currency: Mapped[str] = mapped_column(Currency)
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)  # 1000 = 10 %; or:
    amount: Mapped[int] = mapped_column(Money, default=0)  # a fixed amount off, minor units
    min_basket: Mapped[int] = mapped_column(Money, default=0)  # value of the goods it applies to
    product_groups: Mapped[list] = mapped_column(Json, default=list)  # empty: every product
    per_customer_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no limit
    valid_from: Mapped[dt.datetime] = mapped_column(Timestamp)
    valid_until: Mapped[dt.datetime] = mapped_column(Timestamp)  # exclusive
    shared_code: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)  # campaign code
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CouponBatch(Base):
    """Single-use codes issued together; a batch allocated to a store may be redeemed there while HQ is away."""

    __tablename__ = "coupon_batch"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coupon_campaign.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    store_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    issued_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CouponCode(Base):
    """A single-use code (stored without its dashes)."""

    __tablename__ = "coupon_code"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coupon_campaign.id"), index=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coupon_batch.id"), index=True)


class CouponRedemption(Base):
    """One use of a code.  ``single_code`` is unique: a single-use code is redeemed once, whoever asks first."""

    __tablename__ = "coupon_redemption"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coupon_campaign.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    single_code: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(64))  # store:<code>, web
    reference: Mapped[str] = mapped_column(String(200), default="")  # sale id, web order reference
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    discount: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(Currency)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)  # taken by a store cut off from HQ
    redeemed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)


class BasketCoupon(Base):
    """The coupon on a basket at the till, with the campaign's rules as they were when it was scanned."""

    __tablename__ = "basket_coupon"
    basket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("basket.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    rule: Mapped[dict] = mapped_column(Json)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    applied_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CouponIncident(Base):
    """Something a person must decide: e.g. a store took a campaign code offline past the customer's limit."""

    __tablename__ = "coupon_incident"
    __table_args__ = (UniqueConstraint("kind", "reference"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(48))  # per-customer-limit-exceeded | single-use-code-reused
    reference: Mapped[str] = mapped_column(String(200))  # the store's redemption key
    code: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coupon_campaign.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
