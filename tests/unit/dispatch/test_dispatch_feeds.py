"""The courier's calendar feed and the load chart parse back and show the plan."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import icalendar

from pos.dispatch.calendar import courier_feed
from pos.dispatch.chart import load_chart_svg
from pos.dispatch.couriers import Courier
from pos.dispatch.deliveries import GeoPoint, Pin
from pos.dispatch.horizon import Horizon
from pos.dispatch.planner import plan_deliveries

SVG = "{http://www.w3.org/2000/svg}"
WARSAW = ZoneInfo("Europe/Warsaw")


def _plan(monday, make_delivery):
    anna = Courier("A", "Anna <Kowalska> & \"Syn\"", shift_start=time(8), shift_end=time(16), max_stops=4)
    bartek = Courier("B", "Bartek", days_off=frozenset({monday + timedelta(days=1)}), max_stops=4)
    deliveries = [
        make_delivery("d1", window_start=time(9), window_end=time(11), location=GeoPoint(52.2297, 21.0122),
                      notes="Ring twice; dog in the garden", parcels=2, weight_g=3500, pin=Pin(courier_id="A")),
        make_delivery("d2", window_start=time(14), window_end=time(19), pin=Pin(courier_id="A")),  # ends after the shift
        make_delivery("d3", pin=Pin(courier_id="A")),
        make_delivery("d4", earliest=monday, latest=monday),
    ]
    couriers = [anna, bartek]
    horizon = Horizon(monday, 2)
    return couriers, deliveries, horizon, plan_deliveries(deliveries, couriers, horizon)


def test_feed_has_one_event_per_stop_with_local_times_and_map_links(monday, make_delivery):
    couriers, deliveries, _, plan = _plan(monday, make_delivery)
    anna = couriers[0]
    by_id = {d.id: d for d in deliveries}
    stamp = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    feed = courier_feed(anna, plan.assignments, by_id, shop_name="Sklep", uid_domain="shop.example", generated_at=stamp)

    cal = icalendar.Calendar.from_ical(feed)
    assert str(cal["version"]) == "2.0"
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Warsaw"]
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    mine = {a.delivery_id: a for a in plan.assignments if a.courier_id == "A"}
    assert set(events) == {f"delivery-{k}@shop.example" for k in mine}
    assert {"d1", "d2", "d3"} <= set(mine)

    for key, a in mine.items():
        event = events[f"delivery-{key}@shop.example"]
        d = by_id[key]
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start.tzinfo is not None and start.date() == a.day and start < end
        assert event["dtstart"].params["TZID"] == "Europe/Warsaw"
        assert d.address.street in str(event["summary"]) and f"#{a.sequence}" in str(event["summary"])
        assert str(event["location"]) == d.address.one_line()
        assert event.decoded("dtstamp") == stamp
        if key == "d1":
            assert (start, end) == (datetime.combine(a.day, time(9), WARSAW), datetime.combine(a.day, time(11), WARSAW))
            assert (event["geo"].latitude, event["geo"].longitude) == (52.2297, 21.0122)
            assert str(event["url"]).startswith("https://www.openstreetmap.org/?mlat=52.229700&mlon=21.012200")
            assert "Ring twice; dog in the garden" in str(event["description"])
            assert "2 parcels" in str(event["summary"])
        if key == "d2":  # the customer's window cut to the shift
            assert (start.time(), end.time()) == (time(14), time(16))
        if key in ("d3", "d4"):  # no window: the whole shift
            assert (start.time(), end.time()) == (time(8), time(16))
            assert "geo" not in event and "openstreetmap.org/search?query=" in str(event["url"])


def test_feed_uids_stay_the_same_when_a_stop_moves(monday, make_delivery):
    couriers, deliveries, horizon, plan = _plan(monday, make_delivery)
    by_id = {d.id: d for d in deliveries}
    anna = couriers[0]
    moved = [a.__class__(a.delivery_id, "A", a.day + timedelta(days=1), a.sequence) for a in plan.assignments]
    uids = lambda asg: sorted(str(e["uid"]) for e in icalendar.Calendar.from_ical(
        courier_feed(anna, asg, by_id)).walk("VEVENT"))
    assert uids(moved) == sorted(f"delivery-{d.id}@dispatch.pos.invalid" for d in deliveries)


def test_an_empty_feed_is_still_a_valid_calendar(monday):
    cal = icalendar.Calendar.from_ical(courier_feed(Courier("A", "Anna"), [], {}))
    assert cal.walk("VEVENT") == [] and str(cal["prodid"])


def test_load_chart_is_valid_svg_with_escaped_names_and_numbers(monday, make_delivery):
    couriers, _, horizon, plan = _plan(monday, make_delivery)
    svg = load_chart_svg(plan.assignments, couriers, horizon.dates, title="Load <week> & more")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert 'Anna <Kowalska> & "Syn"' in texts and "Load <week> & more" in texts
    assert "&amp;" in svg and "<Kowalska>" not in svg

    loads = {}
    for a in plan.assignments:
        loads[a.slot] = loads.get(a.slot, 0) + 1
    tips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert len(tips) == len(couriers) * len(horizon.dates)
    assert "Bartek – " in tips[-1] and tips[-1].endswith(": off")  # Bartek is off on Tuesday
    for courier in couriers:
        for day in horizon.dates:
            if courier.works_on(day):
                n = loads.get((courier.id, day), 0)
                assert any(t.startswith(courier.name) and t.endswith(f": {n} / {courier.max_stops} stops") for t in tips)
    assert str(len(plan.assignments)) in texts  # the grand total
