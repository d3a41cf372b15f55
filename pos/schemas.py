"""Request and response shapes shared by every area's API."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def plausible_day(value: dt.date) -> dt.date:
    # Planning adds weeks to a day: year 9999 would overflow far from the field that caused it.
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a day between {FIRST_DAY} and {LAST_DAY}")
    return value


def _wall_clock(value: dt.time) -> dt.time:
    # A time of day with an offset has no fixed meaning across summer and winter time; the shop's times are
    # its own local times, so "08:00Z" is refused rather than guessed.
    if value.tzinfo is not None:
        raise ValueError("the shop's local time without an offset or Z, e.g. 08:00")
    return value


Day = Annotated[dt.date, AfterValidator(plausible_day)]
"""A calendar day (YYYY-MM-DD) between 2000 and 2099."""
LocalTime = Annotated[dt.time, AfterValidator(_wall_clock)]
"""A time of day in the shop's own time zone (HH:MM[:SS]), without an offset."""


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
