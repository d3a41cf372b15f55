from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pos.schemas import Strict
from pos.dispatch.schemas import HomeDelivery

CHANNEL = Field(min_length=1, max_length=64, description="webshop, allegro, amazon, ebay, shopify, collect:<store>")


class RequiredIdempotencyKey(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    idempotency_key: str = Field(alias="Idempotency-Key", min_length=1, max_length=200,
                                 description="required on every POST; the same key and body replay the answer")


class AvailabilityQuery(Strict):
    channel: str = CHANNEL
    sku: list[str] = Field(min_length=1, max_length=500)


class AvailabilityItem(BaseModel):
    sku: str
    available: int


class AvailabilityOut(BaseModel):
    channel: str
    items: list[AvailabilityItem]
    unknown_skus: list[str]


class AvailabilityChangesQuery(Strict):
    channel: str = CHANNEL
    since: str = Field(default="0", max_length=20, pattern=r"^[0-9]+$",
                       description="the next_cursor of the previous page; 0 from the beginning")
    limit: int = Field(default=100, ge=1, le=1000)


class AvailabilityChangeItem(BaseModel):
    sku: str
    available: int
    previous: int | None
    at: str


class AvailabilityChangesOut(BaseModel):
    channel: str
    items: list[AvailabilityChangeItem]
    next_cursor: str
    has_more: bool


class ReservationLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=10**9)


class ReservationIn(Strict):
    channel: str = CHANNEL
    reference: str = Field(min_length=1, max_length=100, description="the shop's cart or order reference")
    ttl_seconds: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    lines: list[ReservationLineIn] = Field(min_length=1, max_length=200)


class ReservationLineOut(BaseModel):
    sku: str
    quantity: int


class ReservationOut(BaseModel):
    id: str
    channel: str
    reference: str
    status: Literal["held", "committed", "released", "expired", "fulfilled", "returned"]
    expires_at: str
    order_id: str | None
    lines: list[ReservationLineOut]
    created_at: str


class ReservationPath(BaseModel):
    reservation_id: str = Field(max_length=64)


class ReservationCommitIn(Strict):
    order_id: str = Field(min_length=1, max_length=100)


class Empty(Strict):
    pass


class WebOrderCustomer(Strict):
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    name: str = Field(default="", max_length=200)


class WebOrderLine(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=10**9)
    unit_price: int = Field(ge=0, le=10**12, description="minor units")


class WebOrderDelivery(Strict):
    method: Literal["delivery", "collect"]
    store: str | None = Field(default=None, max_length=32, description="for collect: the store code")
    address: str = Field(default="", max_length=500)
    courier: HomeDelivery | None = Field(default=None, description="local delivery by the shop's own couriers: "
                                         "creates a delivery for the dispatch planner")


class WebOrderIn(Strict):
    order_id: str = Field(min_length=1, max_length=100, description="the shop's order number")
    channel: str = CHANNEL
    currency: str = Field(min_length=3, max_length=3)
    customer: WebOrderCustomer
    lines: list[WebOrderLine] = Field(min_length=1, max_length=500)
    reservation_id: str | None = Field(default=None, max_length=64)
    delivery: WebOrderDelivery
    paid_with_points: int = Field(default=0, ge=0, le=10**12, description="minor units of the total paid with "
                                  "loyalty points (redeemed before): they earn no points")


class WebOrderOut(BaseModel):
    order_id: str
    channel: str
    customer_id: str
    customer_created: bool
    total: int
    currency: str
    reservation: ReservationOut | None
    delivery_id: str | None = None
    points_earned: int = Field(default=0, description="loyalty points the order earned")
