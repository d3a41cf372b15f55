"""Incremental re-planning moves only what it must; constructed cases with exact move counts."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from pos.dispatch.couriers import Courier
from pos.dispatch.deliveries import DeliveryStatus, Pin
from pos.dispatch.horizon import Horizon
from pos.dispatch.planner import PlannerSettings, plan_deliveries
from pos.dispatch.results import Assignment, UnassignedReason


@pytest.fixture(params=["greedy", "solver"])
def method(request):
    return request.param


@pytest.fixture
def week(monday, make_delivery):
    """Three couriers over a working week, 45 deliveries: 3 per courier-day once balanced."""
    couriers = [Courier(c, n, max_stops=5) for c, n in (("A", "Anna"), ("B", "Bartek"), ("C", "Cyril"))]
    deliveries = [make_delivery(f"d{i:02d}") for i in range(45)]
    return couriers, deliveries, Horizon(monday, 5)


def _slots(plan):
    return {a.delivery_id: a.slot for a in plan.assignments}


def test_a_new_delivery_moves_nothing(week, make_delivery, check_plan, method):
    couriers, deliveries, horizon = week
    settings = PlannerSettings(method=method)
    first = plan_deliveries(deliveries, couriers, horizon, settings=settings)
    more = deliveries + [make_delivery("new")]
    second = plan_deliveries(more, couriers, horizon, previous=first.assignments, settings=settings)
    assert check_plan(second, more, couriers, horizon, first.assignments) == []
    assert second.moved == ()
    assert {k: v for k, v in _slots(second).items() if k != "new"} == _slots(first)
    assert "new" in _slots(second)
    assert second.balance.courier_day.busiest == 4


def test_a_cancellation_moves_nothing(week, check_plan, method):
    couriers, deliveries, horizon = week
    settings = PlannerSettings(method=method)
    first = plan_deliveries(deliveries, couriers, horizon, settings=settings)
    cancelled = [replace(d, status=DeliveryStatus.CANCELLED) if d.id == "d07" else d for d in deliveries]
    second = plan_deliveries(cancelled, couriers, horizon, previous=first.assignments, settings=settings)
    assert check_plan(second, cancelled, couriers, horizon, first.assignments) == []
    assert second.moved == ()
    expected = {k: v for k, v in _slots(first).items() if k != "d07"}
    assert _slots(second) == expected


def test_a_courier_off_sick_moves_exactly_their_stops_that_day(week, monday, check_plan, method):
    couriers, deliveries, horizon = week
    settings = PlannerSettings(method=method)
    first = plan_deliveries(deliveries, couriers, horizon, settings=settings)
    wed = monday + timedelta(days=2)
    on_sick_day = {a.delivery_id for a in first.assignments if a.slot == ("B", wed)}
    assert len(on_sick_day) == 3
    sick = [c.with_days_off(wed) if c.id == "B" else c for c in couriers]

    second = plan_deliveries(deliveries, sick, horizon, previous=first.assignments, settings=settings)
    assert check_plan(second, deliveries, sick, horizon, first.assignments) == []
    assert set(second.moved) == on_sick_day and second.moved_count == 3
    now = _slots(second)
    assert all(now[k] == v for k, v in _slots(first).items() if k not in on_sick_day)
    assert all(now[k] != ("B", wed) for k in on_sick_day)
    # The orphans went to the lightest courier-days: no day above 4.
    assert second.balance.courier_day.busiest == 4


def test_parcels_out_for_delivery_stay_with_the_sick_courier(week, monday, check_plan, method):
    couriers, deliveries, horizon = week
    first = plan_deliveries(deliveries, couriers, horizon, settings=PlannerSettings(method=method))
    day = [a for a in first.assignments if a.slot == ("A", monday)]
    out = {day[0].delivery_id}
    deliveries = [replace(d, status=DeliveryStatus.OUT_FOR_DELIVERY) if d.id in out else d for d in deliveries]
    sick = [c.with_days_off(monday) if c.id == "A" else c for c in couriers]
    second = plan_deliveries(deliveries, sick, horizon, previous=first.assignments,
                             settings=PlannerSettings(method=method))
    assert check_plan(second, deliveries, sick, horizon, first.assignments) == []
    assert _slots(second)[day[0].delivery_id] == ("A", monday)
    assert second.moved_count == len(day) - 1


def test_lowered_capacity_releases_only_the_overflow(week, monday, check_plan, method):
    couriers, deliveries, horizon = week
    first = plan_deliveries(deliveries, couriers, horizon, settings=PlannerSettings(method=method))
    tight = [replace(c, max_stops=2) if c.id == "C" else c for c in couriers]  # was 3 per day
    second = plan_deliveries(deliveries, tight, horizon, previous=first.assignments,
                             settings=PlannerSettings(method=method))
    assert check_plan(second, deliveries, tight, horizon, first.assignments) == []
    assert second.moved_count == 5  # one stop off each of Cyril's five days
    assert all(_slots(first)[k][0] == "C" for k in second.moved)


def test_a_changed_pin_moves_just_that_delivery(week, monday, check_plan, method):
    couriers, deliveries, horizon = week
    first = plan_deliveries(deliveries, couriers, horizon, settings=PlannerSettings(method=method))
    target = next(a for a in first.assignments if a.courier_id != "C")
    pinned = [replace(d, pin=Pin(courier_id="C", day=monday)) if d.id == target.delivery_id else d for d in deliveries]
    second = plan_deliveries(pinned, couriers, horizon, previous=first.assignments,
                             settings=PlannerSettings(method=method))
    assert check_plan(second, pinned, couriers, horizon, first.assignments) == []
    assert second.moved == (target.delivery_id,)
    assert _slots(second)[target.delivery_id] == ("C", monday)


def test_a_move_budget_makes_room_only_when_a_delivery_would_be_left_out(monday, make_delivery, check_plan, method):
    """Anna's Monday is full of deliveries that could also go on Tuesday; a new one pinned to
    her Monday fits only if one of them moves. Without a budget it stays unassigned."""
    anna = Courier("A", "Anna", max_stops=2)
    horizon = Horizon(monday, 2)
    tue = monday + timedelta(days=1)
    flexible = [make_delivery("f1"), make_delivery("f2")]
    first = plan_deliveries(flexible, [anna], horizon, settings=PlannerSettings(method=method))
    # Make the previous plan put both on Monday, as a dispatcher might have arranged it.
    previous = [replace(a, day=monday, sequence=i) for i, a in enumerate(first.assignments, start=1)]
    deliveries = flexible + [make_delivery("urgent", pin=Pin(day=monday))]

    strict = plan_deliveries(deliveries, [anna], horizon, previous=previous, settings=PlannerSettings(method=method))
    assert [(u.delivery_id, u.reason) for u in strict.unassigned] == [("urgent", UnassignedReason.CAPACITY)]
    assert strict.moved == ()

    budget = plan_deliveries(deliveries, [anna], horizon, previous=previous,
                             settings=PlannerSettings(method=method, max_moves=1))
    assert check_plan(budget, deliveries, [anna], horizon, previous) == []
    assert budget.unassigned == ()
    assert budget.moved_count == 1
    assert _slots(budget)["urgent"] == ("A", monday)
    assert _slots(budget)[budget.moved[0]] == ("A", tue)


def test_a_move_budget_is_not_spent_on_balance(monday, make_delivery, method):
    anna = Courier("A", "Anna", max_stops=5)
    horizon = Horizon(monday, 2)
    deliveries = [make_delivery(f"d{i}") for i in range(4)]
    previous = [Assignment(d.id, "A", monday, i) for i, d in enumerate(deliveries, start=1)]
    plan = plan_deliveries(deliveries, [anna], horizon, previous=previous,
                           settings=PlannerSettings(method=method, max_moves=3))
    assert plan.moved == ()
    assert plan.balance.courier_day.busiest == 4
