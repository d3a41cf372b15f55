"""Which courier-days may take a delivery, and if none, the first rule that ruled them all out.

The rules are checked in the order a dispatcher would explain them (data, zone, pin, dates,
working days, time window, weight), so the reason given is the most specific one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from pos.dispatch.couriers import Courier
from pos.dispatch.deliveries import Delivery
from pos.dispatch.horizon import Horizon
from pos.dispatch.results import UnassignedReason


@dataclass(frozen=True)
class Slot:
    """One courier on one day they work: the unit of capacity and of balance."""

    courier: Courier
    day: date

    @property
    def key(self):
        return (self.courier.id, self.day)


@dataclass(frozen=True)
class Options:
    slots: tuple[int, ...]  # indices into SlotTable.slots, ascending
    reason: UnassignedReason | None = None
    detail: str = ""


def _hhmm(t) -> str:
    return t.strftime("%H:%M")


class SlotTable:
    def __init__(self, couriers: Iterable[Courier], horizon: Horizon):
        self.horizon = horizon
        self.couriers = sorted(couriers, key=lambda c: str(c.id))
        self.courier_by_id = {c.id: c for c in self.couriers}
        if len(self.courier_by_id) != len(self.couriers):
            raise ValueError("courier ids must be unique")
        self.slots: list[Slot] = [
            Slot(c, day) for day in horizon.dates for c in self.couriers if c.works_on(day)
        ]
        self.index = {s.key: i for i, s in enumerate(self.slots)}
        self._covering: dict[tuple, list[Courier]] = {}

    def covering(self, delivery: Delivery) -> list[Courier]:
        key = (delivery.address.postal_code, delivery.address.area)
        if key not in self._covering:
            self._covering[key] = [c for c in self.couriers if c.covers(delivery.address)]
        return self._covering[key]

    def options_for(self, delivery: Delivery) -> Options:
        problem = delivery.problem()
        if problem:
            return Options((), UnassignedReason.INVALID, problem)

        couriers = self.covering(delivery)
        where = delivery.address.postal_code + (f" / {delivery.address.area}" if delivery.address.area else "")
        if not couriers:
            return Options((), UnassignedReason.NO_COURIER_FOR_ZONE, f"no courier covers zone {where}")

        pin = delivery.pin
        if pin and pin.courier_id is not None:
            pinned = self.courier_by_id.get(pin.courier_id)
            if pinned is None:
                return Options((), UnassignedReason.PIN_CONFLICT, f"pinned courier {pin.courier_id} is not on the roster")
            if pinned not in couriers:
                return Options((), UnassignedReason.PIN_CONFLICT, f"pinned courier {pinned.name} does not cover zone {where}")
            couriers = [pinned]

        first = max(filter(None, (delivery.earliest, self.horizon.start)))
        last = min(filter(None, (delivery.latest, self.horizon.end)))
        if pin and pin.day is not None:
            if not first <= pin.day <= last:
                return Options((), UnassignedReason.PIN_CONFLICT, f"pinned day {pin.day} is outside the requested dates / horizon")
            first = last = pin.day
        if first > last:
            return Options(
                (), UnassignedReason.OUTSIDE_HORIZON,
                f"requested dates {delivery.earliest}…{delivery.latest} are outside the horizon "
                f"{self.horizon.start}…{self.horizon.end}",
            )

        working = [
            i for c in couriers for day in _days(first, last)
            if (i := self.index.get((c.id, day))) is not None
        ]
        if not working:
            return Options(
                (), UnassignedReason.NO_WORKING_DAY,
                f"no courier covering {where} works between {first} and {last} (working days / days off)",
            )

        in_shift = [i for i in working if self.slots[i].courier.shift_overlaps(delivery.window_start, delivery.window_end)]
        if not in_shift:
            return Options(
                (), UnassignedReason.WINDOW_OUTSIDE_SHIFTS,
                f"window {_hhmm(delivery.window_start)}–{_hhmm(delivery.window_end)} is outside every shift "
                f"of the couriers covering {where}",
            )

        fits = [
            i for i in in_shift
            if self.slots[i].courier.max_weight_g is None or delivery.weight_g <= self.slots[i].courier.max_weight_g
        ]
        if not fits:
            return Options(
                (), UnassignedReason.TOO_HEAVY,
                f"{delivery.weight_g / 1000:g} kg is more than any courier covering {where} can carry",
            )
        return Options(tuple(sorted(fits)))


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
