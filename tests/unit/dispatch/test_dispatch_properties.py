"""Hypothesis: for any roster and any deliveries, no rule is broken and re-plans move only
what lost its place."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.dispatch.couriers import Courier
from pos.dispatch.deliveries import Address, Delivery, DeliveryStatus, Pin
from pos.dispatch.horizon import Horizon
from pos.dispatch.planner import PlannerSettings, plan_deliveries

MONDAY = date(2026, 3, 2)
PREFIXES = ["01", "02", "03"]
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
METHODS = st.sampled_from(["greedy", "solver"])


@st.composite
def couriers(draw):
    count = draw(st.integers(1, 4))
    roster = []
    for n in range(count):
        start = draw(st.integers(6, 12))
        roster.append(Courier(
            id=f"C{n}",
            name=draw(st.sampled_from(["Anna", "Bartek", "Cyril", "Olena"])) + f" {n}",
            working_days=frozenset(draw(st.sets(st.integers(0, 6), min_size=3))),
            shift_start=time(start),
            shift_end=time(start + draw(st.integers(4, 10))),
            max_stops=draw(st.integers(1, 6)),
            max_weight_g=draw(st.one_of(st.none(), st.integers(5, 30).map(lambda kg: kg * 1000))),
            postal_prefixes=tuple(draw(st.sets(st.sampled_from(PREFIXES + ['0']), max_size=2))),
            days_off=frozenset(MONDAY + timedelta(days=d) for d in draw(st.sets(st.integers(0, 6), max_size=2))),
        ))
    return roster


@st.composite
def deliveries(draw, courier_ids):
    out = []
    for n in range(draw(st.integers(0, 20))):
        dates = draw(st.sampled_from(["any", "day", "range"]))
        first = MONDAY + timedelta(days=draw(st.integers(0, 7)))
        earliest = latest = None
        if dates == "day":
            earliest = latest = first
        elif dates == "range":
            earliest, latest = first, first + timedelta(days=draw(st.integers(1, 3)))
        window = draw(st.one_of(st.none(), st.tuples(st.integers(6, 18), st.integers(1, 4))))
        pin = None
        if draw(st.integers(0, 5)) == 0:
            pin = Pin(
                courier_id=draw(st.one_of(st.none(), st.sampled_from(courier_ids + ["ghost"]))),
                day=draw(st.one_of(st.none(), st.integers(0, 6).map(lambda d: MONDAY + timedelta(days=d)))),
            )
        out.append(Delivery(
            id=f"D{n:02d}",
            address=Address(f"Street {n}", "City", f"{draw(st.sampled_from(PREFIXES * 3 + ['09']))}-{n:03d}"),
            weight_g=draw(st.integers(0, 12_000)),
            earliest=earliest,
            latest=latest,
            window_start=time(window[0]) if window else None,
            window_end=time(min(23, window[0] + window[1])) if window else None,
            pin=pin,
        ))
    return out


@st.composite
def instances(draw):
    roster = draw(couriers())
    return roster, draw(deliveries([c.id for c in roster])), Horizon(MONDAY, draw(st.integers(1, 7)))


@FAST
@given(instance=instances(), method=METHODS)
def test_plans_never_break_a_rule_and_account_for_every_delivery(instance, method, check_plan):
    roster, orders, horizon = instance
    plan = plan_deliveries(orders, roster, horizon, settings=PlannerSettings(method=method))
    assert check_plan(plan, orders, roster, horizon) == []
    assert plan.moved == ()


@FAST
@given(instance=instances(), data=st.data())
def test_solver_is_never_worse_than_greedy(instance, data, check_plan):
    roster, orders, horizon = instance
    greedy = plan_deliveries(orders, roster, horizon, settings=PlannerSettings(method="greedy"))
    solved = plan_deliveries(orders, roster, horizon, settings=PlannerSettings(method="solver"))
    assert check_plan(solved, orders, roster, horizon) == []
    g, s = greedy.balance.courier_day, solved.balance.courier_day
    assert len(solved.unassigned) <= len(greedy.unassigned)
    if len(solved.unassigned) == len(greedy.unassigned):
        assert s.busiest <= g.busiest


@FAST
@given(instance=instances(), method=METHODS, data=st.data())
def test_replans_move_only_what_lost_its_place(instance, method, data, check_plan):
    roster, orders, horizon = instance
    config = PlannerSettings(method=method)
    first = plan_deliveries(orders, roster, horizon, settings=config)
    before = {a.delivery_id: a for a in first.assignments}
    change = data.draw(st.sampled_from(["add", "cancel", "sick", "out_and_sick"]))

    if change == "add":
        orders = orders + [Delivery("NEW", Address("New street 1", "City", "01-999"))]
    elif change == "cancel" and orders:
        gone = data.draw(st.sampled_from([d.id for d in orders]))
        orders = [replace(d, status=DeliveryStatus.CANCELLED) if d.id == gone else d for d in orders]
    elif change in ("sick", "out_and_sick"):
        courier = data.draw(st.sampled_from(roster))
        day = MONDAY + timedelta(days=data.draw(st.integers(0, horizon.days - 1)))
        if change == "out_and_sick" and before:
            out = data.draw(st.sets(st.sampled_from(sorted(before)), max_size=3))
            orders = [replace(d, status=DeliveryStatus.OUT_FOR_DELIVERY) if d.id in out else d for d in orders]
        roster = [c.with_days_off(day) if c.id == courier.id else c for c in roster]

    second = plan_deliveries(orders, roster, horizon, previous=first.assignments, settings=config)
    assert check_plan(second, orders, roster, horizon, first.assignments) == []

    # Exactly the deliveries whose courier-day vanished (off sick) move; nothing else does.
    status = {d.id: d.status for d in orders}
    working = {(c.id, day) for c in roster for day in horizon.dates if c.works_on(day)}
    lost = {
        k for k, a in before.items()
        if status.get(k) in (DeliveryStatus.OPEN, DeliveryStatus.ASSIGNED) and a.slot not in working
    }
    assert set(second.moved) == lost
    now = {a.delivery_id: a.slot for a in second.assignments}
    for k, a in before.items():
        if status.get(k) is DeliveryStatus.OUT_FOR_DELIVERY:
            assert now[k] == a.slot
