"""Delivery planner benchmark: 2,000 deliveries, 10 couriers, one working week.

Run: .venv/bin/python bench/dispatch.py [--deliveries N] [--couriers N] [--days N] [--seed N]

The data are generated from a fixed seed, so every run plans the same week: Warsaw-like
postal codes 00–09 (each courier covers two neighbouring prefixes), half the couriers on an
early shift and half on a late one, some deliveries bound to a day (Mondays busiest) or a
two-to-three-day range, some with morning or evening windows, all with coordinates.
Prints the time taken and the balance for the solver path and the greedy path.
"""
from __future__ import annotations

import argparse
import random
import sys
import time as clock
from datetime import date, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.dispatch.couriers import Courier  # noqa: E402
from pos.dispatch.deliveries import Address, Delivery, GeoPoint  # noqa: E402
from pos.dispatch.horizon import Horizon  # noqa: E402
from pos.dispatch.planner import PlannerSettings, plan_deliveries  # noqa: E402

MONDAY = date(2026, 3, 2)
SHOP = GeoPoint(52.2297, 21.0122)


def make_couriers(count: int) -> list[Courier]:
    return [
        Courier(
            id=f"C{i:02d}",
            name=f"Courier {i:02d}",
            shift_start=time(8) if i % 2 == 0 else time(10),
            shift_end=time(16) if i % 2 == 0 else time(18),
            max_stops=60,
            max_weight_g=400_000,
            postal_prefixes=(f"0{i % 10}", f"0{(i + 1) % 10}"),
        )
        for i in range(count)
    ]


def make_deliveries(count: int, days: int, seed: int) -> list[Delivery]:
    rng = random.Random(seed)
    week = [MONDAY + timedelta(days=i) for i in range(days)]
    day_weights = [3, 2, 2, 2, 1][:days] + [1] * max(0, days - 5)
    deliveries = []
    for n in range(count):
        prefix = rng.randrange(10)
        kind = rng.random()
        earliest = latest = None
        if kind < 0.30:
            earliest = latest = rng.choices(week, weights=day_weights)[0]
        elif kind < 0.45:
            first = rng.randrange(days)
            earliest, latest = week[first], week[min(days - 1, first + rng.randint(1, 2))]
        window = rng.random()
        start = end = None
        if window < 0.25:
            start, end = time(8), time(11)
        elif window < 0.30:
            start, end = time(16), time(19)
        deliveries.append(Delivery(
            id=f"D{n:05d}",
            address=Address(f"ul. Testowa {n % 180 + 1}", "Warszawa", f"0{prefix}-{rng.randint(100, 999)}"),
            parcels=rng.randint(1, 3),
            weight_g=rng.randint(200, 15_000),
            earliest=earliest,
            latest=latest,
            window_start=start,
            window_end=end,
            location=GeoPoint(SHOP.lat + rng.uniform(-0.08, 0.08), SHOP.lon + rng.uniform(-0.12, 0.12)),
            customer_id=f"K{rng.randrange(1500):04d}",
        ))
    return deliveries


def report(label: str, plan, seconds: float, aim: bool = False):
    b = plan.balance
    cd = b.courier_day
    ratio = f"{cd.ratio:.3f}" if cd.ratio is not None else "∞ (an idle courier-day)"
    print(f"\n== {label} ==")
    print(f"  method used          : {plan.method}" + (f" [CP-SAT {plan.solver_status}]" if plan.solver_status else ""))
    print(f"  time                 : {seconds:.3f} s")
    print(f"  assigned / unassigned: {len(plan.assignments)} / {len(plan.unassigned)}")
    print(f"  courier-day stops    : busiest {cd.busiest}, lightest {cd.lightest}, mean {cd.mean:.2f}, "
          f"ratio busiest/lightest {ratio}, spread {cd.spread} (over {cd.count} courier-days)")
    cw = b.courier_week
    print(f"  courier-week stops   : busiest {cw.busiest}, lightest {cw.lightest}, mean {cw.mean:.2f}")
    for w in b.weeks:
        print(f"  week of {w.week_start}   : {w.stops} stops, courier-day busiest {w.courier_day.busiest} / "
              f"lightest {w.courier_day.lightest} / mean {w.courier_day.mean:.2f}")
    if aim:
        met = seconds < 2.0 and cd.ratio is not None and cd.ratio <= 1.2
        print(f"  aim < 2 s, ratio ≤ 1.2: {'met' if met else 'NOT met'}")
    reasons: dict[str, int] = {}
    for u in plan.unassigned:
        reasons[u.reason.value] = reasons.get(u.reason.value, 0) + 1
    if reasons:
        print(f"  unassigned by reason : {reasons}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--couriers", type=int, default=10)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    couriers = make_couriers(args.couriers)
    deliveries = make_deliveries(args.deliveries, args.days, args.seed)
    horizon = Horizon(MONDAY, args.days)
    print(f"{len(deliveries)} deliveries, {len(couriers)} couriers × {args.days} days, "
          f"capacity {couriers[0].max_stops} stops / courier-day, depot {SHOP.lat}, {SHOP.lon}")

    for label, settings in (("solver (CP-SAT, seeded by greedy)", PlannerSettings(method="solver")),
                            ("greedy", PlannerSettings(method="greedy"))):
        started = clock.perf_counter()
        plan = plan_deliveries(deliveries, couriers, horizon, depot=SHOP, settings=settings)
        report(label, plan, clock.perf_counter() - started, aim=True)

    # Incremental: one courier off sick on Wednesday, one new delivery, one cancellation.
    base = plan_deliveries(deliveries, couriers, horizon, depot=SHOP, settings=PlannerSettings(method="greedy"))
    sick = [c.with_days_off(MONDAY + timedelta(days=2)) if c.id == "C03" else c for c in couriers]
    started = clock.perf_counter()
    replan = plan_deliveries(deliveries, sick, horizon, previous=base.assignments, depot=SHOP)
    seconds = clock.perf_counter() - started
    orphans = sum(1 for a in base.assignments if a.courier_id == "C03" and a.day == MONDAY + timedelta(days=2))
    report(f"re-plan: C03 off sick on {MONDAY + timedelta(days=2)} ({orphans} stops to re-place)", replan, seconds)
    print(f"  moved vs previous    : {replan.moved_count}")


if __name__ == "__main__":
    main()
