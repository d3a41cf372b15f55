"""The assignment problem both the greedy planner and the CP-SAT model solve.

Slots are courier-days; items are deliveries still to be placed (and, when a move budget is
given, the kept ones that may be moved to make room). Fixed load is what is already decided
and cannot move: parcels out for delivery and, without a move budget, kept assignments.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence


@dataclass(frozen=True)
class Item:
    key: Hashable
    weight_g: int
    options: tuple[int, ...]  # slot indices, ascending
    pinned: bool = False
    # The slot the previous plan gave it, when it is kept but may be moved within the budget.
    current: int | None = None


@dataclass
class PlacementProblem:
    stops_cap: list[int]
    weight_cap: list[int | None]
    fixed_stops: list[int]
    fixed_weight: list[int]
    slot_courier: list[int]  # tie-breaks: spread over couriers …
    slot_day: list[int]  # … and over days
    items: list[Item]
    max_moves: int = 0

    @property
    def slot_count(self) -> int:
        return len(self.stops_cap)

    def reachable(self) -> list[int]:
        """Slots whose load the plan can influence or that already carry load; the balance
        objective only looks at these (a courier-day no delivery can reach stays empty)."""
        seen = {s for s in range(self.slot_count) if self.fixed_stops[s]}
        for item in self.items:
            seen.update(item.options)
        return sorted(seen)


Solution = Sequence[int | None]  # slot per item, None when left unassigned


def slot_loads(problem: PlacementProblem, solution: Solution) -> list[int]:
    loads = list(problem.fixed_stops)
    for slot in solution:
        if slot is not None:
            loads[slot] += 1
    return loads


def score(problem: PlacementProblem, solution: Solution) -> tuple[int, int, int, int, int]:
    """Lexicographic quality, lower is better: deliveries left out, kept deliveries moved,
    busiest courier-day, busiest minus lightest, sum of squared loads (evenness overall)."""
    unassigned = sum(1 for slot in solution if slot is None)
    moves = sum(
        1 for item, slot in zip(problem.items, solution) if item.current is not None and slot != item.current
    )
    loads = slot_loads(problem, solution)
    reach = [loads[s] for s in problem.reachable()] or [0]
    return (unassigned, moves, max(reach), max(reach) - min(reach), sum(x * x for x in reach))


def violations(problem: PlacementProblem, solution: Solution) -> list[str]:
    """Hard-constraint breaches; the planner refuses any solution that has one."""
    found = []
    loads = list(problem.fixed_stops)
    weights = list(problem.fixed_weight)
    for item, slot in zip(problem.items, solution):
        if slot is None:
            if item.current is not None:
                found.append(f"{item.key}: kept delivery dropped")
            continue
        if slot not in item.options:
            found.append(f"{item.key}: slot {slot} is not one of its options")
        loads[slot] += 1
        weights[slot] += item.weight_g
    for s in range(problem.slot_count):
        # Fixed load alone may exceed a capacity that was cut after parcels left; only
        # what the planner adds is checked against it.
        added = loads[s] - problem.fixed_stops[s]
        if added and loads[s] > problem.stops_cap[s]:
            found.append(f"slot {s}: {loads[s]} stops > {problem.stops_cap[s]}")
        cap = problem.weight_cap[s]
        if added and cap is not None and weights[s] > cap:
            found.append(f"slot {s}: {weights[s]} g > {cap} g")
    moves = sum(1 for item, slot in zip(problem.items, solution) if item.current is not None and slot != item.current)
    if moves > problem.max_moves:
        found.append(f"{moves} kept deliveries moved, budget {problem.max_moves}")
    return found
