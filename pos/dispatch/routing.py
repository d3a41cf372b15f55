"""Visiting order within one courier's day.

Time windows come first: stops are taken window by window (earliest start, then earliest
end). Within one window, stops with coordinates are ordered by nearest neighbour from where
the courier is, improved by 2-opt; stops without coordinates follow, by postal code and
street. Stops without a window fit anywhere, so each is inserted where it adds the least
distance. The route is an open path from the depot (the shop) — the courier's way back is
not planned. Travel times are not modelled: windows set the order, not arrival times.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import time
from itertools import groupby
from typing import Hashable, Sequence

from pos.dispatch.deliveries import GeoPoint

_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class RouteStop:
    key: Hashable
    location: GeoPoint | None = None
    window_start: time | None = None
    window_end: time | None = None
    sort_text: str = ""  # orders stops without coordinates (postal code, street)


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _gap(a: GeoPoint | None, b: GeoPoint | None) -> float:
    # Unknown positions cost nothing: they neither attract nor repel a stop.
    return 0.0 if a is None or b is None else distance_km(a, b)


def order_stops(stops: Sequence[RouteStop], depot: GeoPoint | None = None) -> list[Hashable]:
    stops = sorted(stops, key=lambda s: (s.sort_text, str(s.key)))
    timed = sorted((s for s in stops if s.window_start is not None), key=_window)
    flexible = [s for s in stops if s.window_start is None]
    if not timed:
        return [s.key for s in _window_leg(flexible, depot)]

    route: list[RouteStop] = []
    here = depot
    for _, group in groupby(timed, key=_window):
        leg = _window_leg(list(group), here)
        route.extend(leg)
        here = next((s.location for s in reversed(route) if s.location), here)

    for stop in flexible:
        _insert_cheapest(route, stop, depot)
    return [s.key for s in route]


def _window(stop: RouteStop):
    return (stop.window_start, stop.window_end)


def _window_leg(stops: list[RouteStop], start: GeoPoint | None) -> list[RouteStop]:
    located = [s for s in stops if s.location is not None]
    unlocated = [s for s in stops if s.location is None]
    return _two_opt(_nearest_neighbour(located, start), start) + unlocated


def _nearest_neighbour(stops: list[RouteStop], start: GeoPoint | None) -> list[RouteStop]:
    left = list(stops)
    path = []
    here = start
    while left:
        if here is None:
            nxt = left[0]
        else:
            nxt = min(left, key=lambda s: distance_km(here, s.location))
        left.remove(nxt)
        path.append(nxt)
        here = nxt.location
    return path


def _two_opt(path: list[RouteStop], start: GeoPoint | None) -> list[RouteStop]:
    """Reverse segments while that shortens the open path (first improvement, bounded rounds)."""
    fixed = 1 if start is not None else 0
    points = ([start] if fixed else []) + [s.location for s in path]
    dist = [[distance_km(a, b) for b in points] for a in points]
    order = list(range(len(points)))
    m = len(order)
    for _ in range(50):
        improved = False
        for i in range(fixed, m - 1):
            for j in range(i + 1, m):
                # Reversing order[i..j] changes only the edge into i and the edge out of j.
                before = after = 0.0
                if i > 0:
                    a = order[i - 1]
                    before += dist[a][order[i]]
                    after += dist[a][order[j]]
                if j + 1 < m:
                    d = order[j + 1]
                    before += dist[order[j]][d]
                    after += dist[order[i]][d]
                if after < before - 1e-9:
                    order[i:j + 1] = reversed(order[i:j + 1])
                    improved = True
        if not improved:
            break
    return [path[k - fixed] for k in order[fixed:]]


def _insert_cheapest(route: list[RouteStop], stop: RouteStop, depot: GeoPoint | None):
    if stop.location is None or not route:
        route.append(stop)
        return
    best_pos, best_cost = len(route), math.inf
    prev = depot
    for pos in range(len(route) + 1):
        nxt = route[pos].location if pos < len(route) else None
        cost = _gap(prev, stop.location) + _gap(stop.location, nxt) - _gap(prev, nxt)
        if cost < best_cost - 1e-9:
            best_pos, best_cost = pos, cost
        if pos < len(route) and route[pos].location is not None:
            prev = route[pos].location
    route.insert(best_pos, stop)
