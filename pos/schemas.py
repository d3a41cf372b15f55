"""Request and response shapes shared by every area's API."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Unknown fields are refused, not ignored: a typo must not silently change a sale."""

    model_config = ConfigDict(extra="forbid")


class Approval(Strict):
    """A manager's login and PIN, for manager-only actions."""

    login: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=32)


class Money(BaseModel):
    amount: int = Field(description="integer minor units (grosz, haléř, kopiyka)")
    currency: str


class IdempotencyHeader(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    idempotency_key: str | None = Field(default=None, alias="Idempotency-Key", max_length=200)


class VatRow(BaseModel):
    vat_group: str
    vat_rate_bp: int | None = Field(description="basis points; null = exempt")
    gross: int
    vat: int
