"""Delivery planning: which courier brings which delivery on which day, and in what order.

Entry point: :func:`plan_deliveries`. The same call plans from scratch (no ``previous``) and
re-plans incrementally (``previous`` = the assignments currently published). The rule for
re-planning, in order:

1. Parcels out for delivery or delivered keep their courier, day and place in the route —
   always, even if that courier has since been reported sick.
2. Every previous assignment that is still feasible (zone, pin, requested dates, working day,
   day off, time window, weight) is kept, as long as its courier-day still has capacity for
   it. If a courier-day is over capacity (the capacity was lowered), the deliveries with the
   most alternatives are released first.
3. Only new deliveries and the released / no-longer-feasible ones ("orphans") are placed,
   balancing around the kept load.
4. With ``PlannerSettings.max_moves = K > 0``, up to K kept deliveries may move, and only when
   that lets an orphan or new delivery be placed that would otherwise stay unassigned for lack
   of capacity — never merely to even the load.

Deliveries that cannot be placed are returned in ``Plan.unassigned`` with a reason; none are
dropped silently.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from pos.dispatch.couriers import Courier
from pos.dispatch.deliveries import LOCKED, PLANNABLE, Delivery, DeliveryStatus, GeoPoint
from pos.dispatch.greedy import place_greedily
from pos.dispatch.horizon import Horizon
from pos.dispatch.metrics import measure_balance
from pos.dispatch.options import Options, SlotTable
from pos.dispatch.placement import Item, PlacementProblem, score, violations
from pos.dispatch.results import Assignment, Plan, Unassigned, UnassignedReason
from pos.dispatch.routing import RouteStop, order_stops

__all__ = ["PlannerSettings", "plan_deliveries"]


@dataclass(frozen=True)
class PlannerSettings:
    # "auto": CP-SAT unless the input is large; "solver": always try CP-SAT; "greedy": never.
    method: str = "auto"
    # CP-SAT stops at the deterministic limit (reproducible); the wall-clock limit is a safety net.
    time_limit_s: float = 1.5
    deterministic_limit: float = 1.0
    # Above this many CP-SAT variables "auto" keeps the greedy plan (the group model needs one
    # per (group of interchangeable deliveries, courier-day), the per-delivery model one per
    # (delivery, courier-day) and is only tried below this size).
    solver_max_variables: int = 20_000
    # Kept deliveries that may move to make room for ones that would stay unassigned.
    max_moves: int = 0
    workers: int = 1
    seed: int = 0

    def __post_init__(self):
        if self.method not in ("auto", "solver", "greedy"):
            raise ValueError(f"unknown planning method {self.method!r}")
        if self.max_moves < 0:
            raise ValueError("max_moves cannot be negative")


def plan_deliveries(
    deliveries: Iterable[Delivery],
    couriers: Iterable[Courier],
    horizon: Horizon,
    *,
    previous: Iterable[Assignment] = (),
    depot: GeoPoint | None = None,
    settings: PlannerSettings = PlannerSettings(),
) -> Plan:
    table = SlotTable(couriers, horizon)
    deliveries = sorted(deliveries, key=lambda d: str(d.id))
    by_id = {d.id: d for d in deliveries}
    if len(by_id) != len(deliveries):
        raise ValueError("delivery ids must be unique")
    before = {a.delivery_id: a for a in previous}

    locked: list[Assignment] = []
    unassigned: list[Unassigned] = []
    kept: list[tuple[Delivery, int, Options]] = []
    free: list[tuple[Delivery, Options]] = []
    for d in deliveries:
        if d.status in LOCKED:
            if d.id in before:
                if before[d.id].day in horizon:
                    locked.append(before[d.id])
            elif d.status is DeliveryStatus.OUT_FOR_DELIVERY:
                unassigned.append(Unassigned(
                    d.id, UnassignedReason.NO_PREVIOUS_ASSIGNMENT,
                    "out for delivery, but no previous plan says with which courier",
                ))
            continue
        if d.status not in PLANNABLE:
            continue  # cancelled or failed: no longer the planner's business
        options = table.options_for(d)
        if not options.slots:
            unassigned.append(Unassigned(d.id, options.reason, options.detail))
            continue
        was = before.get(d.id)
        slot = table.index.get(was.slot) if was else None
        if slot is not None and slot in options.slots:
            kept.append((d, slot, options))
        else:
            free.append((d, options))

    fixed_stops = [0] * len(table.slots)
    fixed_weight = [0] * len(table.slots)
    for a in locked:
        s = table.index.get(a.slot)
        if s is not None:
            fixed_stops[s] += 1
            fixed_weight[s] += by_id[a.delivery_id].weight_g
    kept, released = _fit_kept_into_capacity(table, kept, fixed_stops, fixed_weight)
    free.extend(released)

    items = [Item(d.id, d.weight_g, o.slots, pinned=d.pin is not None) for d, o in free]
    if settings.max_moves:
        items += [Item(d.id, d.weight_g, o.slots, pinned=d.pin is not None, current=s) for d, s, o in kept]
    else:
        for d, s, _ in kept:
            fixed_stops[s] += 1
            fixed_weight[s] += d.weight_g
    problem = _problem(table, items, fixed_stops, fixed_weight, settings.max_moves)
    solution, method, status = _solve(problem, settings)

    placed: dict = {} if settings.max_moves else {d.id: s for d, s, _ in kept}
    for item, s in zip(items, solution):
        if s is None:
            unassigned.append(_capacity_reason(problem, item, solution))
        else:
            placed[item.key] = s

    assignments = _sequence(table, placed, locked, by_id, depot)
    now = {a.delivery_id: a.slot for a in assignments}
    moved = tuple(
        d.id for d in deliveries
        if d.id in before and d.status in PLANNABLE and now.get(d.id) != before[d.id].slot
    )
    return Plan(
        assignments=assignments,
        unassigned=tuple(sorted(unassigned, key=lambda u: str(u.delivery_id))),
        moved=moved,
        balance=measure_balance((a.slot for a in assignments), (s.key for s in table.slots)),
        method=method,
        solver_status=status,
    )


def _fit_kept_into_capacity(table: SlotTable, kept, fixed_stops, fixed_weight):
    """Keep previous assignments while their courier-day has room; release the rest, those
    with the most alternatives first (pinned and tightly constrained ones stay)."""
    by_slot = defaultdict(list)
    for entry in kept:
        by_slot[entry[1]].append(entry)
    stay, released = [], []
    stops, weight = list(fixed_stops), list(fixed_weight)
    for s, entries in sorted(by_slot.items()):
        courier = table.slots[s].courier
        entries.sort(key=lambda e: (e[0].pin is None, len(e[2].slots), str(e[0].id)))
        for d, slot, options in entries:
            fits = stops[s] < courier.max_stops and (
                courier.max_weight_g is None or weight[s] + d.weight_g <= courier.max_weight_g
            )
            if fits:
                stops[s] += 1
                weight[s] += d.weight_g
                stay.append((d, slot, options))
            else:
                released.append((d, options))
    return stay, released


def _problem(table: SlotTable, items, fixed_stops, fixed_weight, max_moves) -> PlacementProblem:
    courier_no = {c.id: i for i, c in enumerate(table.couriers)}
    day_no = {day: i for i, day in enumerate(table.horizon.dates)}
    return PlacementProblem(
        stops_cap=[s.courier.max_stops for s in table.slots],
        weight_cap=[s.courier.max_weight_g for s in table.slots],
        fixed_stops=fixed_stops,
        fixed_weight=fixed_weight,
        slot_courier=[courier_no[s.courier.id] for s in table.slots],
        slot_day=[day_no[s.day] for s in table.slots],
        items=items,
        max_moves=max_moves,
    )


def _solve(problem: PlacementProblem, settings: PlannerSettings):
    """The greedy plan, improved by CP-SAT where the settings and the input size allow;
    a solver result is taken only if it breaks no rule and scores at least as well."""
    greedy = place_greedily(problem)
    if settings.method == "greedy" or not problem.items:
        return greedy, "greedy", None
    groups = {(item.options, item.current) for item in problem.items}
    size = sum(len(options) for options, _ in groups)
    if settings.method == "auto" and size > settings.solver_max_variables:
        return greedy, f"greedy (large input: {size} solver variables)", None
    # OR-Tools costs about a second to import: only a plan that reaches the solver pays it, never a node's start
    from pos.dispatch.balance_model import SolverLimits, solve_by_groups, solve_by_items

    limits = SolverLimits(settings.time_limit_s, settings.deterministic_limit, settings.workers, settings.seed)

    candidates = [(greedy, "greedy", None)]
    outcome = solve_by_groups(problem, greedy, limits)
    if _usable(problem, outcome.solution):
        candidates.append((outcome.solution, "solver", outcome.status))
    weights_bind = any(cap is not None for cap in problem.weight_cap) and (
        len(candidates) == 1 or None in outcome.solution
    )
    per_delivery = sum(len(item.options) for item in problem.items)
    if weights_bind and per_delivery <= settings.solver_max_variables:
        # The group model sees only mean weights; when that may have cost a delivery its
        # place, the exact per-delivery model decides (small inputs only).
        exact = solve_by_items(problem, min(candidates, key=lambda c: score(problem, c[0]))[0], limits)
        if _usable(problem, exact.solution):
            candidates.append((exact.solution, "solver (per delivery)", exact.status))
        outcome = exact
    # Lowest score wins; on a tie the later (solver) candidate, which is at least as even.
    best = min(reversed(candidates), key=lambda c: score(problem, c[0]))
    if best[1] == "greedy":
        return greedy, f"greedy (solver {outcome.status})", outcome.status
    return best


def _usable(problem: PlacementProblem, solution) -> bool:
    return solution is not None and not violations(problem, solution)


def _capacity_reason(problem: PlacementProblem, item: Item, solution) -> Unassigned:
    stops = list(problem.fixed_stops)
    weight = list(problem.fixed_weight)
    for other, s in zip(problem.items, solution):
        if s is not None:
            stops[s] += 1
            weight[s] += other.weight_g
    by_weight = [s for s in item.options if stops[s] < problem.stops_cap[s]]
    what = "van weight" if by_weight else "stops"
    return Unassigned(
        item.key, UnassignedReason.CAPACITY,
        f"all {len(item.options)} courier-days that could take it are full ({what})",
    )


def _sequence(table: SlotTable, placed: dict, locked: list[Assignment], by_id, depot) -> tuple[Assignment, ...]:
    """Number the stops of every courier-day: parcels already out keep their place at the
    front of the route; the rest are routed on from the last of them (or from the depot)."""
    day_stops: dict[tuple, list] = defaultdict(list)
    for key, s in placed.items():
        day_stops[table.slots[s].key].append(by_id[key])
    day_locked: dict[tuple, list[Assignment]] = defaultdict(list)
    for a in locked:
        day_locked[a.slot].append(a)

    result = []
    for slot in set(day_stops) | set(day_locked):
        courier_id, day = slot
        front = sorted(day_locked.get(slot, []), key=lambda a: (a.sequence, str(a.delivery_id)))
        start = next(
            (by_id[a.delivery_id].location for a in reversed(front) if by_id[a.delivery_id].location), depot
        )
        rest = order_stops(
            [
                RouteStop(d.id, d.location, d.window_start, d.window_end,
                          f"{d.address.postal_code} {d.address.street}")
                for d in day_stops.get(slot, [])
            ],
            start,
        )
        for n, key in enumerate([a.delivery_id for a in front] + rest, start=1):
            result.append(Assignment(key, courier_id, day, n))
    return tuple(sorted(result, key=lambda a: (a.day, str(a.courier_id), a.sequence)))
