"""The days a plan covers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TWO_WEEKS = 14


@dataclass(frozen=True)
class Horizon:
    start: date
    days: int = TWO_WEEKS

    def __post_init__(self):
        if self.days < 1:
            raise ValueError("a planning horizon covers at least one day")

    @property
    def end(self) -> date:
        """The last day planned (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=i) for i in range(self.days))

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def week_of(day: date) -> date:
    """The Monday of the ISO week ``day`` falls in; weeks are reported by their Monday."""
    return day - timedelta(days=day.weekday())
