"""Quiet hours in the customer's zone, and the matching rules a journey's trigger, conditions and exits use."""
import datetime as dt
from zoneinfo import ZoneInfo

from sync.journeys.definitions import DEFAULTS, holds, matches, validate
from sync.journeys.policy import customer_zone, quiet_until

UTC = dt.timezone.utc


def test_quiet_hours_across_midnight_end_at_the_local_morning():
    kyiv = ZoneInfo("Europe/Kyiv")
    late = dt.datetime(2026, 12, 3, 22, 30, tzinfo=kyiv).astimezone(UTC)
    assert quiet_until(late, "Europe/Kyiv", 21, 8) == dt.datetime(2026, 12, 4, 8, tzinfo=kyiv).astimezone(UTC)
    early = dt.datetime(2026, 12, 4, 7, 59, tzinfo=kyiv).astimezone(UTC)
    assert quiet_until(early, "Europe/Kyiv", 21, 8) == dt.datetime(2026, 12, 4, 8, tzinfo=kyiv).astimezone(UTC)
    assert quiet_until(dt.datetime(2026, 12, 4, 8, tzinfo=kyiv).astimezone(UTC), "Europe/Kyiv", 21, 8) is None
    assert quiet_until(late, "Europe/Kyiv", 0, 0) is None  # none configured


def test_the_zone_comes_from_the_phone_number_else_the_shop():
    assert customer_zone("+380671234567", "Europe/Warsaw") == "Europe/Kyiv"
    assert customer_zone("+12025550123", "Europe/Warsaw") == "Europe/Warsaw"  # many zones: the shop's
    assert customer_zone("+420601123456", "Europe/Warsaw") == "Europe/Prague"
    assert customer_zone(None, "Europe/Warsaw") == "Europe/Warsaw"
    assert customer_zone("not a number", "Europe/Warsaw") == "Europe/Warsaw"


def test_matching_and_conditions():
    event = {"kind": "delivery", "channel": "courier", "details": {"status": "failed", "score": 3}}
    assert matches({"kind": "delivery", "match": {"details.status": ["failed", "delivered"]}}, event)
    assert not matches({"kind": "delivery", "match": {"details.status": "delivered"}}, event)
    assert not matches({"kind": "order"}, event)
    assert holds({"path": "details.score", "op": "<=", "value": 6}, event)
    assert not holds({"path": "details.missing", "op": ">", "value": 1}, event)  # absent never meets a condition


def test_the_shipped_journeys_are_valid_definitions():
    for raw in DEFAULTS:
        assert validate(raw)["key"] == raw["key"]
