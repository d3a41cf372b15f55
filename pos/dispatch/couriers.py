"""Who delivers: a courier's week, shift, van capacity and the areas they know."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time

from pos.dispatch.deliveries import Address, CourierId, normalise_postal_code

MONDAY_TO_FRIDAY = frozenset(range(5))


@dataclass(frozen=True)
class Courier:
    id: CourierId
    name: str
    # date.weekday() numbers: 0 = Monday … 6 = Sunday.
    working_days: frozenset[int] = MONDAY_TO_FRIDAY
    shift_start: time = time(8, 0)
    shift_end: time = time(16, 0)
    # Per courier-day: how many stops fit in a shift and how much the van carries.
    max_stops: int = 40
    max_weight_g: int | None = None
    # Zones: postal-code prefixes ("00-", "110", "01") and/or named areas. Both empty means
    # the courier takes any address (a one-courier shop need not draw zones).
    postal_prefixes: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    days_off: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        if self.shift_end <= self.shift_start:
            raise ValueError(f"courier {self.id}: shift must end after it starts")
        if self.max_stops < 0 or (self.max_weight_g is not None and self.max_weight_g < 0):
            raise ValueError(f"courier {self.id}: capacity cannot be negative")
        if not set(self.working_days) <= set(range(7)):
            raise ValueError(f"courier {self.id}: working days are weekday numbers 0–6")

    @property
    def has_zones(self) -> bool:
        return bool(self.postal_prefixes or self.areas)

    def covers(self, address: Address) -> bool:
        if not self.has_zones:
            return True
        if address.area and address.area.casefold() in {a.casefold() for a in self.areas}:
            return True
        code = normalise_postal_code(address.postal_code)
        return any(
            prefix and code.startswith(prefix)
            for prefix in (normalise_postal_code(p) for p in self.postal_prefixes)
        )

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.days_off and self.max_stops > 0

    def shift_overlaps(self, start: time | None, end: time | None) -> bool:
        """A stop fits the day when its window shares some time with the shift."""
        if start is None or end is None:
            return True
        return start < self.shift_end and end > self.shift_start

    def with_days_off(self, *days: date) -> "Courier":
        """The same courier, off sick or on leave on ``days`` as well."""
        return replace(self, days_off=frozenset(self.days_off) | frozenset(days))
