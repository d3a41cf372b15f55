from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from pos.schemas import Strict


class CouponIn(Strict):
    code: str = Field(min_length=1, max_length=64, description="the code as scanned or typed (dashes optional)")


class BasketLineIn(Strict):
    """A line of the caller's basket: its product and what it costs after its own discounts."""

    sku: str | None = Field(default=None, min_length=1, max_length=64)
    product_group: str | None = Field(default=None, max_length=32,
                                      description="instead of a SKU, the line's product group")
    amount: int = Field(ge=0, le=10**12, description="minor units, after the line's own discounts")


class CouponCheckIn(Strict):
    code: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    customer_id: uuid.UUID | None = None
    lines: list[BasketLineIn] = Field(default_factory=list, max_length=500)


class CouponRedeemIn(CouponCheckIn):
    reference: str = Field(min_length=1, max_length=200, description="the order (web) or sale (store) it is used on")


class StoreRedeemIn(CouponRedeemIn):
    idempotency_key: str = Field(min_length=1, max_length=200)


class CouponValidation(BaseModel):
    code: str
    campaign: str
    applies: bool
    reason: str | None = None
    discount: int
    currency: str
    line_discounts: list[int]
    eligible_amount: int
    min_basket: int


class CouponRedemptionOut(BaseModel):
    id: str
    code: str
    campaign_id: str
    customer_id: str | None = None
    channel: str
    reference: str
    discount: int
    currency: str
    offline: bool
    redeemed_at: str
    line_discounts: list[int] = []
