"""Request shapes of the dispatch API (unknown fields are refused, as everywhere)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from pos.schemas import Day, LocalTime, Strict


class CourierIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    working_days: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday … 6 = Sunday")
    shift_start: LocalTime = dt.time(8, 0)
    shift_end: LocalTime = dt.time(16, 0)
    max_stops: int = Field(default=40, ge=0, le=500, description="stops per working day")
    max_weight_g: int | None = Field(default=None, ge=0, description="what the van carries per day, grams")
    postal_prefixes: list[str] = Field(default=[], description="e.g. '00-', '02'; empty with no areas = anywhere")
    areas: list[str] = Field(default=[], description="named areas the shop uses, e.g. 'Mokotów'")


class CourierPath(BaseModel):
    courier_id: uuid.UUID


class DaysOffIn(Strict):
    days: list[Day] = Field(min_length=1, max_length=60)
    reason: Literal["sick", "leave", "other"] = "sick"
    replan: bool = Field(default=True, description="re-plan the next 14 days at once (incremental)")


class ScheduleQuery(BaseModel):
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    token: str | None = Field(default=None, description="the courier's link token (or send it as bearer)")


class AddressIn(Strict):
    street: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=16)
    area: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class HomeDelivery(Strict):
    """Where, when and what a courier brings: part of a store sale or a web order with home delivery."""

    recipient: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=32)
    address: AddressIn
    parcels: int = Field(default=1, ge=1, le=999)
    weight_g: int = Field(default=0, ge=0, le=10_000_000)
    date: Day | None = Field(default=None, description="one requested day; or earliest/latest for a range")
    earliest: Day | None = None
    latest: Day | None = None
    window_start: LocalTime | None = None
    window_end: LocalTime | None = None
    notes: str = Field(default="", max_length=1000)


class DeliveryIn(HomeDelivery):
    source: Literal["web_order", "marketplace_order", "store_sale"]
    source_ref: str = Field(min_length=1, max_length=100, description="order number, or the sale's id")
    customer_id: uuid.UUID | None = None


class DeliveryPath(BaseModel):
    delivery_id: uuid.UUID


class DeliveryQuery(BaseModel):
    status: Literal["open", "assigned", "out_for_delivery", "delivered", "failed", "cancelled"] | None = None
    day: Day | None = None


class CancelIn(Strict):
    reason: str = Field(default="", max_length=500)


class PinIn(Strict):
    courier_id: uuid.UUID | None = Field(default=None, description="null clears the courier pin")
    day: Day | None = Field(default=None, description="null clears the day pin")


class StatusIn(Strict):
    status: Literal["picked_up", "out_for_delivery", "delivered", "failed"]
    reason: str = Field(default="", max_length=500)


class PlanIn(Strict):
    mode: Literal["incremental", "full"] = "incremental"
    start: Day | None = Field(default=None, description="first day planned; default today")
    days: int = Field(default=14, ge=1, le=62)
    max_moves: int = Field(default=0, ge=0, le=1000,
                           description="kept stops that may move to make room for ones that would stay unplanned")


class WeekQuery(BaseModel):
    start: Day | None = Field(default=None, description="any day of the week; default this week")
