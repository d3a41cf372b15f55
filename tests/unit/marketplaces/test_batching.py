"""Shaping pushes and pulls: chunks, coalescing, order dedupe, cursors, money."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplaces import ChannelOrder, QuantityUpdate
from marketplaces.batching import chunked, coalesce_updates, dedupe_orders, group_by_quantity, iso_z, later_cursor
from marketplaces.money import from_minor_units, to_minor_units


def test_chunked_respects_the_channel_limit():
    assert [len(c) for c in chunked(list(range(2001)), 1000)] == [1000, 1000, 1]
    assert [len(c) for c in chunked(list(range(26)), 25)] == [25, 1]
    assert list(chunked([], 25)) == []
    with pytest.raises(ValueError):
        list(chunked([1], 0))


def test_coalesce_keeps_the_last_quantity_and_the_first_known_version():
    updates = [
        QuantityUpdate("A", "1", 5, 7),
        QuantityUpdate("B", "2", 1),
        QuantityUpdate("A", "1", 3, 5),
        QuantityUpdate("A", "1", 2, None),
    ]
    assert coalesce_updates(updates) == [QuantityUpdate("B", "2", 1), QuantityUpdate("A", "1", 2, 7)]


def test_group_by_quantity_for_fixed_value_commands():
    groups = group_by_quantity([QuantityUpdate("A", "1", 5), QuantityUpdate("B", "2", 3), QuantityUpdate("C", "3", 5)])
    assert {q: [u.sku for u in us] for q, us in groups.items()} == {5: ["A", "C"], 3: ["B"]}


def _order(order_id: str, minute: int) -> ChannelOrder:
    return ChannelOrder(
        "allegro", order_id, None, dt.datetime(2025, 1, 1, 12, minute, tzinfo=dt.timezone.utc),
        "READY_FOR_PROCESSING", None, None, None, (),
    )


def test_dedupe_orders_keeps_first_position_and_newest_copy():
    orders = dedupe_orders([_order("x", 1), _order("y", 2), _order("x", 5), _order("x", 3)])
    assert [(o.channel_order_id, o.updated_at.minute) for o in orders] == [("x", 5), ("y", 2)]


def test_timestamp_cursor_moves_forward_only():
    assert later_cursor(None, "2025-01-01T00:00:00.000Z") == "2025-01-01T00:00:00.000Z"
    assert later_cursor("2025-01-02T00:00:00.000Z", "2025-01-01T00:00:00.000Z") == "2025-01-02T00:00:00.000Z"
    assert later_cursor("2025-01-02T00:00:00.000Z", None) == "2025-01-02T00:00:00.000Z"
    assert iso_z(dt.datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=dt.timezone.utc)) == "2025-03-04T05:06:07.891Z"


@pytest.mark.parametrize(
    "amount, currency, minor",
    [("12.34", "PLN", 1234), ("249", "CZK", 24900), ("0.5", "UAH", 50), ("1500", "JPY", 1500), ("19.990", "EUR", 1999)],
)
def test_money_to_minor_units(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor


def test_money_refuses_amounts_finer_than_the_currency():
    with pytest.raises(ValueError):
        to_minor_units("1.005", "PLN")
    with pytest.raises(ValueError):
        to_minor_units("abc", "PLN")
    assert from_minor_units(1999, "PLN") == "19.99"
