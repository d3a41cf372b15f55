"""What the planner hands back: who takes which stop when, and what could not be planned."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from pos.dispatch.deliveries import CourierId, DeliveryId
from pos.dispatch.metrics import Balance


class UnassignedReason(str, enum.Enum):
    INVALID = "invalid"  # the delivery itself is contradictory (empty window, latest < earliest)
    NO_COURIER_FOR_ZONE = "no_courier_for_zone"
    PIN_CONFLICT = "pin_conflict"  # the manager's pin points where the rules forbid
    OUTSIDE_HORIZON = "outside_horizon"
    NO_WORKING_DAY = "no_working_day"  # covering couriers are off / do not work those days
    WINDOW_OUTSIDE_SHIFTS = "window_outside_shifts"
    TOO_HEAVY = "too_heavy"  # heavier than any covering van carries
    CAPACITY = "capacity"  # feasible courier-days exist but are full
    NO_PREVIOUS_ASSIGNMENT = "no_previous_assignment"  # out for delivery, yet no plan says with whom


@dataclass(frozen=True)
class Assignment:
    delivery_id: DeliveryId
    courier_id: CourierId
    day: date
    sequence: int  # 1-based visiting order within the courier's day

    @property
    def slot(self) -> tuple[CourierId, date]:
        return (self.courier_id, self.day)


@dataclass(frozen=True)
class Unassigned:
    delivery_id: DeliveryId
    reason: UnassignedReason
    detail: str  # a sentence a dispatcher can act on


@dataclass(frozen=True)
class Plan:
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    # Deliveries the previous plan had on some courier-day that now sit on another one or on
    # none (cancelled deliveries are not moves).
    moved: tuple[DeliveryId, ...]
    balance: Balance
    method: str  # "solver", "greedy", or "greedy (solver: <why not>)"
    solver_status: str | None = None

    @property
    def moved_count(self) -> int:
        return len(self.moved)

    def by_delivery(self) -> dict[DeliveryId, Assignment]:
        return {a.delivery_id: a for a in self.assignments}

    def for_courier(self, courier_id: CourierId) -> tuple[Assignment, ...]:
        """A courier's stops in visiting order, day by day (what their calendar feed shows)."""
        mine = [a for a in self.assignments if a.courier_id == courier_id]
        return tuple(sorted(mine, key=lambda a: (a.day, a.sequence)))
