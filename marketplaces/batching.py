"""Shaping quantity pushes and order pulls to what each channel accepts."""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, Sequence, TypeVar

from marketplaces.base import ChannelOrder, QuantityUpdate

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("chunk size must be positive")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def coalesce_updates(updates: Iterable[QuantityUpdate]) -> list[QuantityUpdate]:
    """One update per listing: the last one wins, as it is the newest stock we know.

    Sending two values for one listing in a batch makes the outcome depend on
    the channel's processing order; the earliest ``version`` is kept so a
    compare-and-set still compares against what the channel showed first.
    """
    latest: dict[str, QuantityUpdate] = {}
    for update in updates:
        earlier = latest.pop(update.listing_id, None)
        if earlier is not None and earlier.version is not None:
            update = update._replace(version=earlier.version)
        latest[update.listing_id] = update
    return list(latest.values())


def group_by_quantity(updates: Iterable[QuantityUpdate]) -> dict[int, list[QuantityUpdate]]:
    """Allegro sets one FIXED value per command: group listings that share it."""
    groups: dict[int, list[QuantityUpdate]] = {}
    for update in updates:
        groups.setdefault(update.quantity, []).append(update)
    return groups


def dedupe_orders(orders: Iterable[ChannelOrder]) -> list[ChannelOrder]:
    """One order per channel order id; the most recently updated copy wins, first-seen order kept."""
    seen: dict[str, ChannelOrder] = {}
    for order in orders:
        known = seen.get(order.channel_order_id)
        if known is None or _newer(order, known):
            seen[order.channel_order_id] = order
    return list(seen.values())


def _newer(a: ChannelOrder, b: ChannelOrder) -> bool:
    if a.updated_at is None or b.updated_at is None:
        return False
    return a.updated_at > b.updated_at


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def iso_z(moment: dt.datetime) -> str:
    """UTC timestamp with milliseconds and a Z, the form all four channels accept."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def later_cursor(current: str | None, candidate: str | None) -> str | None:
    """Cursors that are timestamps move forward only."""
    if candidate is None:
        return current
    if current is None:
        return candidate
    return candidate if parse_time(candidate) > parse_time(current) else current
