"""CP-SAT models of the placement problem, always started from the greedy plan.

Two formulations share one objective, lexicographic, encoded as a single weighted sum whose
weights exceed the range of everything below them:

1. deliveries left unassigned,
2. kept deliveries moved (only present when a move budget is given),
3. the busiest courier-day,
4. busiest minus lightest courier-day (over the courier-days a delivery can reach),
5. the sum of squared loads, which evens out everything between the two extremes.

* :func:`solve_by_groups` — the fast one. Deliveries with the same feasible courier-days are
  interchangeable for stop counts, so it decides only *how many* of each group go to each
  courier-day (an integer transport model: a few hundred variables instead of tens of
  thousands of booleans, which CP-SAT cannot break the symmetry of in time). Van weight is
  modelled with each group's mean weight; concrete deliveries are then dealt out heaviest
  first to the courier-day with most weight to spare, and swapped within their group if a van
  is still over. If that fails, the caller falls back.
* :func:`solve_by_items` — exact for weight: one boolean per (delivery, courier-day). Used for
  small inputs when the group model cannot honour the weight limits.

Determinism: one worker and a *deterministic* time limit (a work count, not seconds), so the
same input gives the same plan on any machine; the wall-clock limit is only a safety net.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from pos.dispatch.placement import PlacementProblem, Solution

_INT64_SAFE = 2**62


@dataclass(frozen=True)
class SolverOutcome:
    solution: list[int | None] | None  # None when the solver found nothing usable
    status: str  # OPTIMAL, FEASIBLE, UNKNOWN (timed out), WEIGHT_UNREALISED, …
    wall_s: float


@dataclass(frozen=True)
class SolverLimits:
    time_limit_s: float
    deterministic_limit: float
    workers: int = 1
    seed: int = 0


class _Balance:
    """Loads per reachable courier-day and the lexicographic objective over them."""

    def __init__(self, model: cp_model.CpModel, problem: PlacementProblem, placed_in: dict[int, list]):
        self.model = model
        self.reach = sorted(placed_in)
        fixed = problem.fixed_stops
        # Upper bound per courier-day: its capacity, or everything that could possibly go there.
        self.upper = {
            s: max(fixed[s], min(problem.stops_cap[s], fixed[s] + sum(n for n, _ in placed_in[s])))
            for s in self.reach
        }
        top = max(self.upper.values())
        self.load = {}
        for s in self.reach:
            self.load[s] = model.new_int_var(fixed[s], self.upper[s], f"load{s}")
            model.add(self.load[s] == fixed[s] + sum(x for _, x in placed_in[s]))
        self.busiest = model.new_int_var(0, top, "busiest")
        self.lightest = model.new_int_var(0, top, "lightest")
        model.add_max_equality(self.busiest, list(self.load.values()))
        model.add_min_equality(self.lightest, list(self.load.values()))
        self.top = top
        self.squares = {}

    def minimise(self, unassigned, moved, max_moves: int, item_count: int):
        squares_bound = sum(u * u for u in self.upper.values())
        w_spread = squares_bound + 1
        w_busiest = w_spread * (self.top + 1)
        w_moves = w_busiest * (self.top + 1)
        w_unassigned = w_moves * (max_moves + 1)
        use_squares = w_unassigned * (item_count + 1) < _INT64_SAFE
        if not use_squares:
            # Huge capacities: drop the finest tier rather than risk overflow.
            w_spread, w_busiest = 1, self.top + 1
            w_moves = w_busiest * (self.top + 1)
            w_unassigned = w_moves * (max_moves + 1)
        objective = w_unassigned * unassigned + w_busiest * self.busiest + w_spread * (self.busiest - self.lightest)
        if max_moves:
            objective += w_moves * moved
        if use_squares:
            for s in self.reach:
                self.squares[s] = self.model.new_int_var(0, self.upper[s] ** 2, f"sq{s}")
                self.model.add_multiplication_equality(self.squares[s], [self.load[s], self.load[s]])
            objective += sum(self.squares.values())
        self.model.minimize(objective)

    def good_enough_gap(self, loads: list[int]) -> int:
        """Proving the last few squared stops optimal can take seconds while changing no
        courier's day noticeably: stop once the plan is proven within 0.2 % of the sum of
        squared loads."""
        return max(1, sum(loads[s] ** 2 for s in self.reach) // 500) if self.squares else 0

    def hint(self, loads: list[int]):
        for s in self.reach:
            self.model.add_hint(self.load[s], loads[s])
            if s in self.squares:
                self.model.add_hint(self.squares[s], loads[s] ** 2)
        self.model.add_hint(self.busiest, max(loads[s] for s in self.reach))
        self.model.add_hint(self.lightest, min(loads[s] for s in self.reach))


def _hinted_loads(problem: PlacementProblem, hint: Solution) -> list[int]:
    loads = list(problem.fixed_stops)
    for s in hint:
        if s is not None:
            loads[s] += 1
    return loads


def _run(model: cp_model.CpModel, limits: SolverLimits, gap: int = 0):
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.absolute_gap_limit = gap
    params.max_time_in_seconds = limits.time_limit_s
    params.max_deterministic_time = limits.deterministic_limit
    params.num_workers = limits.workers
    params.random_seed = limits.seed
    status = solver.solve(model)
    return solver, status, solver.status_name(status)


def _weight_limit(model, problem: PlacementProblem, s: int, terms: list):
    """Van weight on courier-day ``s``; ``terms`` are (grams, var) pairs."""
    cap = problem.weight_cap[s]
    if cap is None or not terms:
        return
    if problem.fixed_weight[s] > cap:
        # Overloaded by parcels already out: nothing more may join that van.
        model.add(sum(x for _, x in terms) == 0)
    else:
        model.add(problem.fixed_weight[s] + sum(g * x for g, x in terms) <= cap)


def solve_by_groups(problem: PlacementProblem, hint: Solution, limits: SolverLimits) -> SolverOutcome:
    items = problem.items
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[(item.options, item.current)].append(i)
    model = cp_model.CpModel()
    placed_in: dict[int, list] = defaultdict(list)
    weight_terms: dict[int, list] = defaultdict(list)
    for s in range(problem.slot_count):
        if problem.fixed_stops[s]:
            placed_in[s] = []
    count: dict[tuple, dict[int, cp_model.IntVar]] = {}
    unassigned, moved = [], []
    for key, members in groups.items():
        options, current = key
        n = len(members)
        mean_g = -(-sum(items[i].weight_g for i in members) // n)
        count[key] = {s: model.new_int_var(0, n, f"n{len(count)}_{s}") for s in options}
        total = sum(count[key].values())
        if current is None:
            model.add(total <= n)
            unassigned.append(n - total)
        else:
            model.add(total == n)
            moved.append(n - count[key][current])
        for s, x in count[key].items():
            placed_in[s].append((n, x))
            weight_terms[s].append((mean_g, x))
    if moved:
        model.add(sum(moved) <= problem.max_moves)
    for s, terms in weight_terms.items():
        _weight_limit(model, problem, s, terms)

    balance = _Balance(model, problem, placed_in)
    balance.minimise(sum(unassigned), sum(moved), problem.max_moves, len(items))
    hinted = defaultdict(int)
    for i, s in enumerate(hint):
        item = items[i]
        if s is not None:
            hinted[(item.options, item.current, s)] += 1
    for key, xs in count.items():
        for s, x in xs.items():
            model.add_hint(x, hinted[(key[0], key[1], s)])
    loads = _hinted_loads(problem, hint)
    balance.hint(loads)

    solver, status, name = _run(model, limits, balance.good_enough_gap(loads))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolverOutcome(None, name, solver.wall_time)
    quotas = {key: {s: solver.value(x) for s, x in xs.items()} for key, xs in count.items()}
    solution = _deal_out(problem, groups, quotas)
    if solution is None:
        return SolverOutcome(None, "WEIGHT_UNREALISED", solver.wall_time)
    return SolverOutcome(solution, name, solver.wall_time)


def _deal_out(problem: PlacementProblem, groups, quotas) -> list[int | None] | None:
    """Turn "k deliveries of this group on that courier-day" into concrete deliveries,
    keeping van weights within limits; None if the weights cannot be made to fit."""
    items = problem.items
    weight = list(problem.fixed_weight)
    solution: list[int | None] = [None] * len(items)
    left = {key: dict(q) for key, q in quotas.items()}
    group_of = {i: key for key, members in groups.items() for i in members}

    def headroom(s):
        cap = problem.weight_cap[s]
        return float("inf") if cap is None else cap - weight[s]

    # Kept deliveries first stay where they were, as far as their group's quota there allows.
    for key, members in groups.items():
        current = key[1]
        if current is None:
            continue
        for i in members[: left[key].get(current, 0)]:
            solution[i] = current
            weight[current] += items[i].weight_g
        left[key][current] -= min(len(members), left[key].get(current, 0))
    for i in sorted(range(len(items)), key=lambda i: (-items[i].weight_g, str(items[i].key))):
        if solution[i] is not None:
            continue
        key = group_of[i]
        open_slots = [s for s, n in left[key].items() if n > 0]
        if not open_slots:
            continue  # the model left this many of the group unassigned
        s = max(open_slots, key=lambda s: (headroom(s), -s))
        solution[i] = s
        left[key][s] -= 1
        weight[s] += items[i].weight_g

    for s in range(problem.slot_count):
        if headroom(s) < 0 and not _swap_weight_out(problem, groups, group_of, solution, weight, s):
            return None
    return solution


def _swap_weight_out(problem, groups, group_of, solution, weight, s) -> bool:
    """Swap heavy deliveries of ``s`` with lighter ones of the same group elsewhere (the
    counts per courier-day stay the same) until the van on ``s`` is within its limit."""
    items = problem.items
    cap = problem.weight_cap[s]
    for i in sorted((i for i, slot in enumerate(solution) if slot == s), key=lambda i: -items[i].weight_g):
        if weight[s] <= cap:
            return True
        for j in sorted(groups[group_of[i]], key=lambda j: items[j].weight_g):
            t = solution[j]
            if t is None or t == s or items[j].weight_g >= items[i].weight_g:
                continue
            if items[j].current is not None or items[i].current is not None:
                continue  # swapping kept deliveries would count as moves
            diff = items[i].weight_g - items[j].weight_g
            t_cap = problem.weight_cap[t]
            if t_cap is None or weight[t] + diff <= t_cap:
                solution[i], solution[j] = t, s
                weight[s] -= diff
                weight[t] += diff
                break
    return weight[s] <= cap


def solve_by_items(problem: PlacementProblem, hint: Solution, limits: SolverLimits) -> SolverOutcome:
    model = cp_model.CpModel()
    items = problem.items
    choose: list[list[tuple[int, cp_model.IntVar]]] = []
    placed_in: dict[int, list] = defaultdict(list)
    weight_terms: dict[int, list] = defaultdict(list)
    for s in range(problem.slot_count):
        if problem.fixed_stops[s]:
            placed_in[s] = []
    unassigned, moved = [], []
    for i, item in enumerate(items):
        xs = [(s, model.new_bool_var(f"x{i}_{s}")) for s in item.options]
        choose.append(xs)
        for s, x in xs:
            placed_in[s].append((1, x))
            weight_terms[s].append((item.weight_g, x))
        if item.current is not None:
            # A kept delivery is never dropped; it may only move within the budget.
            model.add_exactly_one(x for _, x in xs)
            moved.append(1 - next(x for s, x in xs if s == item.current))
        else:
            model.add_at_most_one(x for _, x in xs)
            unassigned.append(1 - sum(x for _, x in xs))
    if moved:
        model.add(sum(moved) <= problem.max_moves)
    for s, terms in weight_terms.items():
        _weight_limit(model, problem, s, terms)

    balance = _Balance(model, problem, placed_in)
    balance.minimise(sum(unassigned), sum(moved), problem.max_moves, len(items))
    for xs, slot in zip(choose, hint):
        for s, x in xs:
            model.add_hint(x, s == slot)
    loads = _hinted_loads(problem, hint)
    balance.hint(loads)

    solver, status, name = _run(model, limits, balance.good_enough_gap(loads))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolverOutcome(None, name, solver.wall_time)
    solution = [next((s for s, x in xs if solver.boolean_value(x)), None) for xs in choose]
    return SolverOutcome(solution, name, solver.wall_time)
