"""Fast placement: least-loaded feasible courier-day first, hardest deliveries first.

Runs in roughly O(options · log) and is always used: as the plan for large inputs or when the
solver finds nothing in time, and as the solver's starting point (hint) otherwise.
"""
from __future__ import annotations

from pos.dispatch.placement import PlacementProblem


class _Loads:
    def __init__(self, p: PlacementProblem):
        self.p = p
        self.stops = list(p.fixed_stops)
        self.weight = list(p.fixed_weight)
        self.courier_total = [0] * (max(p.slot_courier, default=-1) + 1)
        self.day_total = [0] * (max(p.slot_day, default=-1) + 1)
        for s, n in enumerate(p.fixed_stops):
            self.courier_total[p.slot_courier[s]] += n
            self.day_total[p.slot_day[s]] += n
        self.members: list[set[int]] = [set() for _ in range(p.slot_count)]
        self.where: list[int | None] = [None] * len(p.items)

    def has_room(self, s: int, weight_g: int) -> bool:
        cap = self.p.weight_cap[s]
        return self.stops[s] < self.p.stops_cap[s] and (cap is None or self.weight[s] + weight_g <= cap)

    def put(self, i: int, s: int):
        self.where[i] = s
        self.members[s].add(i)
        self._add(s, i, +1)

    def take(self, i: int):
        s = self.where[i]
        self.where[i] = None
        self.members[s].discard(i)
        self._add(s, i, -1)

    def _add(self, s: int, i: int, sign: int):
        self.stops[s] += sign
        self.weight[s] += sign * self.p.items[i].weight_g
        self.courier_total[self.p.slot_courier[s]] += sign
        self.day_total[self.p.slot_day[s]] += sign

    def preference(self, s: int):
        # Emptiest courier-day, then the courier with least work, then the quietest day.
        return (self.stops[s], self.courier_total[self.p.slot_courier[s]], self.day_total[self.p.slot_day[s]], s)


def place_greedily(problem: PlacementProblem) -> list[int | None]:
    loads = _Loads(problem)
    items = problem.items
    moves_left = problem.max_moves
    for i, item in enumerate(items):
        if item.current is not None:
            loads.put(i, item.current)

    # Pinned deliveries first (they have one way to go), then those with fewest options.
    order = sorted(
        (i for i, item in enumerate(items) if item.current is None),
        key=lambda i: (not items[i].pinned, len(items[i].options), -items[i].weight_g, str(items[i].key)),
    )
    for i in order:
        item = items[i]
        open_slots = [s for s in item.options if loads.has_room(s, item.weight_g)]
        if open_slots:
            loads.put(i, min(open_slots, key=loads.preference))
            continue
        moves_left -= _make_room(loads, i, moves_left)

    _rebalance(loads)
    return loads.where


def _make_room(loads: _Loads, i: int, moves_left: int) -> int:
    """Place item ``i`` in a full courier-day by moving one other delivery out to a day with
    room. Kept deliveries may be moved only within the budget. Returns the moves spent."""
    items = loads.p.items
    item = items[i]
    for s in sorted(item.options, key=loads.preference):
        for j in sorted(loads.members[s], key=lambda j: str(items[j].key)):
            other = items[j]
            costs = 1 if other.current is not None and other.current == s else 0
            if costs > moves_left:
                continue
            if not _fits_after_swap(loads, s, item, other):
                continue
            targets = [t for t in other.options if t != s and loads.has_room(t, other.weight_g)]
            if not targets:
                continue
            loads.take(j)
            loads.put(j, min(targets, key=loads.preference))
            loads.put(i, s)
            return costs
    return 0


def _fits_after_swap(loads: _Loads, s: int, item, other) -> bool:
    """Would ``item`` fit in ``s`` once ``other`` has left it?"""
    cap = loads.p.weight_cap[s]
    return loads.stops[s] - 1 < loads.p.stops_cap[s] and (cap is None or loads.weight[s] - other.weight_g + item.weight_g <= cap)


def _rebalance(loads: _Loads):
    """Move freshly placed deliveries from heavier to lighter courier-days while that
    narrows the gap by at least one stop. Each move lowers the sum of squared loads, so this
    stops; at the end no placed delivery can reach a courier-day two or more stops lighter."""
    items = loads.p.items
    slots = range(loads.p.slot_count)
    while True:
        for s in sorted(slots, key=lambda s: (-loads.stops[s], s)):
            moved = False
            for j in sorted(loads.members[s]):
                if items[j].current is not None:
                    continue
                targets = [
                    t for t in items[j].options
                    if t != s and loads.stops[t] <= loads.stops[s] - 2 and loads.has_room(t, items[j].weight_g)
                ]
                if targets:
                    loads.take(j)
                    loads.put(j, min(targets, key=loads.preference))
                    moved = True
                    break
            if moved:
                break
        else:
            return
