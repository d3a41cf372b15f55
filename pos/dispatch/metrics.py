"""How even a plan is: stops per courier-day and per courier-week.

Loads are counted over every *available* courier-day (the courier works that day, is not
off, and the day is in the horizon), empty ones included: an idle courier-day is exactly the
imbalance a dispatcher wants to see.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Hashable, Iterable

from pos.dispatch.horizon import week_of


@dataclass(frozen=True)
class LoadStats:
    busiest: int
    lightest: int
    mean: float
    count: int  # how many courier-days (or courier-weeks) were measured

    @property
    def spread(self) -> int:
        return self.busiest - self.lightest

    @property
    def ratio(self) -> float | None:
        """Busiest over lightest; None when the lightest is empty (the ratio is unbounded)."""
        if self.lightest == 0:
            return None if self.busiest else 1.0
        return self.busiest / self.lightest

    @classmethod
    def of(cls, loads: Iterable[int]) -> "LoadStats":
        values = list(loads)
        if not values:
            return cls(0, 0, 0.0, 0)
        return cls(max(values), min(values), sum(values) / len(values), len(values))


@dataclass(frozen=True)
class WeekLoad:
    week_start: date  # Monday
    stops: int
    courier_day: LoadStats


@dataclass(frozen=True)
class Balance:
    courier_day: LoadStats
    courier_week: LoadStats
    weeks: tuple[WeekLoad, ...]


def measure_balance(
    stops_by_slot: Iterable[tuple[Hashable, date]],
    available_slots: Iterable[tuple[Hashable, date]],
) -> Balance:
    """``stops_by_slot`` has one (courier id, day) per assigned stop; ``available_slots``
    every (courier id, day) the courier could work. Stops on a slot that is not available
    (kept because the parcel is already out) still count, so the figures never hide load."""
    per_slot = Counter(stops_by_slot)
    slots = set(available_slots) | set(per_slot)
    per_week_slot: Counter = Counter()
    for courier_id, day in slots:
        per_week_slot[(courier_id, week_of(day))] += per_slot[(courier_id, day)]
    weeks = []
    for monday in sorted({week_of(day) for _, day in slots}):
        loads = [per_slot[s] for s in slots if week_of(s[1]) == monday]
        weeks.append(WeekLoad(monday, sum(loads), LoadStats.of(loads)))
    return Balance(
        courier_day=LoadStats.of(per_slot[s] for s in slots),
        courier_week=LoadStats.of(per_week_slot.values()),
        weeks=tuple(weeks),
    )
