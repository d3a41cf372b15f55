"""What the shop promised to bring where and when: the delivery as the planner sees it.

Plain frozen dataclasses, no ORM: the dispatch models map their rows onto these, so the
planner can be tested and benchmarked without a database.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Hashable

# Ids come from the database (UUID v7) or from tests (str); the planner only needs them
# hashable and printable, and orders them by their text for deterministic results.
DeliveryId = Hashable
CourierId = Hashable


class DeliveryStatus(str, enum.Enum):
    OPEN = "open"
    ASSIGNED = "assigned"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


# The planner may place or move these.
PLANNABLE = frozenset({DeliveryStatus.OPEN, DeliveryStatus.ASSIGNED})
# The parcel is in the van (or already handed over): the plan must keep it where it is.
LOCKED = frozenset({DeliveryStatus.OUT_FOR_DELIVERY, DeliveryStatus.DELIVERED})


def normalise_postal_code(code: str) -> str:
    """``00-950``, ``110 00`` and ``01001`` compare without their separators."""
    return re.sub(r"[^0-9A-Za-z]", "", code).upper()


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    postal_code: str
    # A named area the shop uses instead of (or besides) postal prefixes, e.g. "Praha 5 – Smíchov".
    area: str | None = None

    def one_line(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float

    def __post_init__(self):
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")


@dataclass(frozen=True)
class Pin:
    """A manager's decision the planner must keep: this courier, this day, or both."""

    courier_id: CourierId | None = None
    day: date | None = None


@dataclass(frozen=True)
class Delivery:
    id: DeliveryId
    address: Address
    parcels: int = 1
    weight_g: int = 0
    # A single requested date is ``earliest == latest``; both None means "any day in the horizon".
    earliest: date | None = None
    latest: date | None = None
    # Time of day the customer is at home; None means any time within the courier's shift.
    window_start: time | None = None
    window_end: time | None = None
    location: GeoPoint | None = None
    notes: str = ""
    customer_id: Hashable | None = None
    status: DeliveryStatus = DeliveryStatus.OPEN
    pin: Pin | None = None

    @classmethod
    def on(cls, day: date, **fields) -> "Delivery":
        """A delivery requested for exactly one day."""
        return cls(earliest=day, latest=day, **fields)

    def problem(self) -> str | None:
        """Why this delivery cannot be planned at all, whatever the couriers, or None."""
        if self.parcels < 1:
            return "a delivery carries at least one parcel"
        if self.weight_g < 0:
            return "weight cannot be negative"
        if self.earliest and self.latest and self.latest < self.earliest:
            return f"latest date {self.latest} is before earliest date {self.earliest}"
        if (self.window_start is None) != (self.window_end is None):
            return "a time window needs both a start and an end"
        if self.window_start is not None and self.window_end <= self.window_start:
            return f"time window {self.window_start:%H:%M}–{self.window_end:%H:%M} is empty"
        return None
