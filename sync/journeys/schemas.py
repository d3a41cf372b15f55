from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from pos.schemas import Strict
from sync.journeys.tasks import OUTCOMES


class CartCustomer(Strict):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    card: str | None = Field(default=None, max_length=80)


class CartLine(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1_000_000_000)


class CartConsent(Strict):
    email: bool | None = None
    sms: bool | None = None
    how: str = Field(min_length=1, max_length=80, description="what the person did, e.g. 'checkbox at checkout'")


class CartIn(Strict):
    cart_id: str = Field(min_length=1, max_length=100)
    action: Literal["created", "updated", "emptied"]
    channel: str = Field(default="webshop", min_length=1, max_length=32)
    language: Literal["pl", "cs", "uk", "en"] | None = None
    customer: CartCustomer
    lines: list[CartLine] = Field(default_factory=list, max_length=200)
    consent: CartConsent | None = None


class CartOut(BaseModel):
    cart_id: str
    action: str
    customer_id: str
    customer_created: bool


class JourneyPath(BaseModel):
    key: str = Field(pattern=r"^[a-z0-9_]{1,64}$")


class CustomerPath(BaseModel):
    customer_id: uuid.UUID


class JourneyOut(BaseModel):
    key: str
    version: int
    active: bool
    definition: dict
    created_at: str
    created_by: str


class JourneysOut(BaseModel):
    items: list[JourneyOut]


class JourneyExportOut(BaseModel):
    customer_id: str
    consents: list[dict]
    messages: list[dict]
    coupons: list[dict]
    survey_answers: list[dict]
    tasks: list[dict]


class TaskQuery(BaseModel):
    queue: str = Field(default="call_centre", pattern=r"^[a-z_]{1,32}$")
    status: Literal["open", "done"] = "open"


class TaskPath(BaseModel):
    task_id: uuid.UUID


class TaskOutcomeIn(Strict):
    outcome: Literal[OUTCOMES]
    note: str = Field(default="", max_length=1000)


class TaskOut(BaseModel):
    id: str
    queue: str
    customer_id: str
    title: str
    status: str
    outcome: str
    created_at: str
    context: dict


class TasksOut(BaseModel):
    items: list[TaskOut]
