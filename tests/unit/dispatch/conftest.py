"""Shared builders and an independent plan checker for the dispatch tests.

The checker re-states the rules from the issue directly against the input (it does not reuse
the planner's own option logic), so a planner bug cannot hide behind itself.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from pos.dispatch.deliveries import LOCKED, PLANNABLE, Address, Delivery, normalise_postal_code

MONDAY = date(2026, 3, 2)


def address(postal_code: str = "00-001", area: str | None = None, street: str = "Marszałkowska 1") -> Address:
    return Address(street, "Warszawa", postal_code, area)


def delivery(id: str, postal_code: str = "00-001", **fields) -> Delivery:
    return Delivery(id=id, address=address(postal_code), **fields)


def plan_problems(plan, deliveries, couriers, horizon, previous=()) -> list[str]:
    """Every broken rule in ``plan`` as a sentence; an empty list means the plan is valid."""
    problems = []
    by_id = {d.id: d for d in deliveries}
    couriers = {c.id: c for c in couriers}
    before = {a.delivery_id: a for a in previous}
    seen = Counter()
    slot_stops, slot_weight, slot_seq = Counter(), Counter(), defaultdict(list)

    for a in plan.assignments:
        seen[a.delivery_id] += 1
        d = by_id.get(a.delivery_id)
        c = couriers.get(a.courier_id)
        slot_seq[a.slot].append(a.sequence)
        if d is None:
            problems.append(f"{a.delivery_id}: assigned but not an input delivery")
            continue
        if d.status in LOCKED:
            prev = before.get(d.id)
            if prev is None or prev.slot != a.slot:
                problems.append(f"{d.id}: {d.status.value} delivery moved from {prev} to {a.slot}")
            continue
        if d.status not in PLANNABLE:
            problems.append(f"{d.id}: {d.status.value} delivery is in the plan")
        slot_stops[a.slot] += 1
        slot_weight[a.slot] += d.weight_g
        if c is None:
            problems.append(f"{d.id}: unknown courier {a.courier_id}")
            continue
        if not (horizon.start <= a.day <= horizon.start + timedelta(days=horizon.days - 1)):
            problems.append(f"{d.id}: {a.day} outside the horizon")
        if a.day.weekday() not in c.working_days:
            problems.append(f"{d.id}: {c.id} does not work on {a.day:%A}")
        if a.day in c.days_off:
            problems.append(f"{d.id}: {c.id} is off on {a.day}")
        if (d.earliest and a.day < d.earliest) or (d.latest and a.day > d.latest):
            problems.append(f"{d.id}: {a.day} outside requested {d.earliest}…{d.latest}")
        if d.window_start is not None and not (d.window_start < c.shift_end and d.window_end > c.shift_start):
            problems.append(f"{d.id}: window {d.window_start}–{d.window_end} misses shift of {c.id}")
        if c.postal_prefixes or c.areas:
            code = normalise_postal_code(d.address.postal_code)
            by_prefix = any(code.startswith(normalise_postal_code(p)) for p in c.postal_prefixes)
            by_area = d.address.area is not None and d.address.area.casefold() in {x.casefold() for x in c.areas}
            if not (by_prefix or by_area):
                problems.append(f"{d.id}: {c.id} does not cover {d.address.postal_code}")
        if d.pin and d.pin.courier_id is not None and d.pin.courier_id != a.courier_id:
            problems.append(f"{d.id}: pinned to {d.pin.courier_id}, planned for {a.courier_id}")
        if d.pin and d.pin.day is not None and d.pin.day != a.day:
            problems.append(f"{d.id}: pinned to {d.pin.day}, planned for {a.day}")

    for (courier_id, day), n in slot_stops.items():
        c = couriers.get(courier_id)
        if c and n > c.max_stops:
            problems.append(f"{courier_id} {day}: {n} stops > {c.max_stops}")
        if c and c.max_weight_g is not None and slot_weight[(courier_id, day)] > c.max_weight_g:
            problems.append(f"{courier_id} {day}: {slot_weight[(courier_id, day)]} g > {c.max_weight_g}")
    for slot, seqs in slot_seq.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            problems.append(f"{slot}: sequences {sorted(seqs)} are not 1..n")

    unassigned = Counter(u.delivery_id for u in plan.unassigned)
    for d in deliveries:
        if d.status in PLANNABLE and seen[d.id] + unassigned[d.id] != 1:
            problems.append(f"{d.id}: appears {seen[d.id]}× assigned and {unassigned[d.id]}× unassigned")
    for u in plan.unassigned:
        if not u.detail:
            problems.append(f"{u.delivery_id}: unassigned without a reason")
    return problems


@pytest.fixture(scope="session")
def check_plan():
    return plan_problems


@pytest.fixture(scope="session")
def monday():
    return MONDAY


@pytest.fixture(scope="session")
def make_delivery():
    return delivery
