"""The courier's calendar feed and the manager's week: parsed back, not string-matched."""
from __future__ import annotations

from xml.etree import ElementTree as ET

import icalendar

SVG = "{http://www.w3.org/2000/svg}"


def test_the_calendar_feed_has_one_event_per_stop(client, dispatch):
    ewa = dispatch.courier("Ewa", shift_start="09:00", shift_end="17:00")
    ids = [dispatch.delivery(date=dispatch.day(i % 2).isoformat(), window_start="10:00", window_end="12:00",
                             address={"lat": 52.23, "lon": 21.01}, parcels=2)["id"] for i in range(3)]
    failed = dispatch.delivery(date=dispatch.day(0).isoformat())["id"]
    dispatch.plan()
    assert dispatch.report(ewa, failed, "failed", "Nobody at home").status_code == 200

    response = client.get(f"/couriers/{ewa['id']}/schedule.ics?token={ewa['token']}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3  # the failed stop is no longer on the calendar
    assert sorted(str(e["uid"]) for e in events) == sorted(f"delivery-{i}@s1.dispatch.pos.invalid" for i in ids)
    for event in events:
        start = event.decoded("dtstart")
        assert (start.hour, start.minute) == (10, 0) and str(start.tzinfo) == "Europe/Warsaw"
        assert event.decoded("dtend").hour == 12
        assert "2 parcels" in str(event["summary"])
        assert str(event["url"]).startswith("https://www.openstreetmap.org/?mlat=52.230000&mlon=21.010000")
    assert {e.decoded("dtstart").date() for e in events} == {dispatch.day(0), dispatch.day(1)}


def test_the_week_view_counts_each_cell_and_draws_the_chart_as_svg(client, dispatch):
    ewa = dispatch.courier("Ewa", postal_prefixes=["00-"], max_stops=5)
    jan = dispatch.courier("Jan", postal_prefixes=["01-"], max_stops=5)
    for _ in range(3):
        dispatch.delivery("00-001", date=dispatch.day(0).isoformat(), weight_g=1500)
    dispatch.delivery("01-001", date=dispatch.day(2).isoformat(), parcels=3)
    assert dispatch.api.post(f"/api/v1/couriers/{jan['id']}/days-off",
                             json={"days": [dispatch.day(4).isoformat()], "reason": "leave"}).status_code == 200
    dispatch.plan()

    response = dispatch.api.get(f"/api/v1/dispatch/week?start={dispatch.day(3).isoformat()}")

    assert response.status_code == 200, response.get_json()
    week = response.get_json()
    assert week["start"] == dispatch.day(0).isoformat() and len(week["days"]) == 7
    rows = {row["name"]: row["days"] for row in week["couriers"]}
    assert rows["Ewa"][0] == {"date": dispatch.day(0).isoformat(), "working": True, "day_off": False,
                              "stops": 3, "parcels": 3, "weight_g": 4500}
    assert rows["Jan"][2]["stops"] == 1 and rows["Jan"][2]["parcels"] == 3
    assert rows["Jan"][4]["day_off"] is True and rows["Jan"][4]["working"] is False
    assert rows["Ewa"][5]["working"] is False  # Saturday

    svg = ET.fromstring(week["svg"])
    assert svg.tag == f"{SVG}svg"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Ewa" in texts and "Jan" in texts and "off" in texts
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert any(t.startswith("Ewa") and "3 / 5 stops" in t for t in titles)

    page = client.get(f"/dispatch/week?start={dispatch.day(0).isoformat()}")
    assert page.status_code == 200 and b"week.js" in page.data
    assert ewa["token"].encode() not in page.data  # the shell carries no data; the API does, for managers
    assert client.get("/api/v1/dispatch/week").status_code == 401
    assert client.get("/dispatch/week?start=not-a-date").status_code == 400


def test_the_schedule_page_shows_each_stop_in_order_with_its_map_link(client, dispatch):
    ewa = dispatch.courier("Ewa")
    dispatch.delivery(date=dispatch.day(0).isoformat(), window_start="09:00", window_end="10:00",
                      street="Pierwsza 1", notes="Gate code 1234")
    dispatch.delivery(date=dispatch.day(0).isoformat(), window_start="13:00", window_end="14:00",
                      street="Druga 2 <b>")
    dispatch.plan()

    page = client.get(f"/couriers/{ewa['id']}/schedule?token={ewa['token']}&from={dispatch.day(0).isoformat()}")

    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert html.index("Pierwsza 1") < html.index("Druga 2 &lt;b&gt;")
    assert "<b>" not in html.split("<body>")[1].replace("<br>", "")
    assert "09:00–10:00" in html and "Gate code 1234" in html
    assert "https://www.openstreetmap.org/search?query=Pierwsza+1" in html
