"""The courier's schedule page on a phone-sized headless Chromium against a real node over HTTP."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, store_only_tab

PHONE = {"width": 390, "height": 844}


class Manager:
    """The dispatcher, over real HTTP with a manager's login."""

    def __init__(self, live_store):
        self.api = live_store.api(login="boss", pin="9999")

    def post(self, path, body):
        response = self.api.http.post(self.api.base_url + path, json=body, timeout=30)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def get(self, path):
        response = self.api.get(path)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def phone(browser, live_store):
    """A phone-sized tab that may load nothing but the store node itself."""
    context, tab = store_only_tab(browser, live_store, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    yield tab
    context.close()
    assert tab.script_errors == [], tab.script_errors
    assert live_store.outside_requests == []


def test_a_courier_works_through_the_day_on_a_phone(phone, live_store):
    manager = Manager(live_store)
    today = dt.datetime.now(ZoneInfo("Europe/Warsaw")).date().isoformat()
    courier = manager.post("/api/v1/couriers", {"name": "Ewa Kurierska", "working_days": list(range(7)),
                                                "shift_start": "08:00", "shift_end": "18:00"})
    stops = [
        ("Aleje Jerozolimskie 123A m. 45", "14:00", "15:00", "Third floor, the lift is out of order — please ring "
                                                             "the neighbour at 46 to leave the parcel"),
        ("Marszałkowska 1", "09:00", "10:00", ""),
        ("Świętokrzyska 30", "11:00", "12:00", "Gate code 1234"),
    ]
    ids = {}
    for n, (street, start, end, notes) in enumerate(stops):
        ids[street] = manager.post("/api/v1/deliveries", {
            "source": "web_order", "source_ref": f"WEB-{n}", "date": today, "window_start": start,
            "window_end": end, "notes": notes, "parcels": n + 1,
            "address": {"street": street, "city": "Warszawa", "postal_code": "00-950"}})["id"]
    plan = manager.post("/api/v1/dispatch/plan", {})
    assert plan["assigned"] == 3 and plan["unassigned"] == []

    phone.goto(courier["schedule_url"])

    cards = phone.locator("li.stop")
    expect(cards).to_have_count(3)
    in_order = ["Marszałkowska 1", "Świętokrzyska 30", "Aleje Jerozolimskie 123A m. 45"]
    for n, street in enumerate(in_order):
        card = cards.nth(n)
        expect(card.locator(".seq")).to_have_text(str(n + 1))
        expect(card.locator(".address")).to_contain_text(street)
        expect(card).to_be_visible()
    expect(cards.nth(0).locator(".window")).to_have_text("09:00–10:00")
    expect(cards.nth(1).locator(".notes")).to_have_text("Gate code 1234")
    expect(cards.nth(1).locator(".map")).to_have_attribute(
        "href", "https://www.openstreetmap.org/search?query=%C5%9Awi%C4%99tokrzyska+30%2C+00-950+Warszawa")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tap_height = cards.nth(0).locator("button.delivered").bounding_box()["height"]
    assert tap_height >= 44  # a thumb, not a mouse pointer

    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "courier-schedule.png"), full_page=True)

    first = cards.nth(0)
    first.locator("button.picked_up").tap()
    expect(first.locator(".status")).to_have_text("out for delivery")
    first.locator("button.delivered").tap()
    expect(first.locator(".status")).to_have_text("delivered")
    expect(first.locator(".actions")).to_be_hidden()
    delivered = manager.get(f"/api/v1/deliveries/{ids['Marszałkowska 1']}")
    assert delivered["status"] == "delivered"
    assert [h["status"] for h in delivered["history"]][-2:] == ["picked_up", "delivered"]
    assert delivered["history"][-1]["actor"] == f"courier:{courier['id']}"

    second = cards.nth(1)
    second.locator("button.failed").tap()
    second.locator("select[name=reason]").select_option("Wrong address")
    second.locator("button.confirm-failed").tap()
    expect(second.locator(".status")).to_have_text("failed")
    expect(second.locator(".reason")).to_have_text("Wrong address")
    failed = manager.get(f"/api/v1/deliveries/{ids['Świętokrzyska 30']}")
    assert (failed["status"], failed["failure_reason"]) == ("failed", "Wrong address")

    # After a reload the page shows what the server holds, not what the script painted.
    phone.reload()
    expect(cards.nth(0)).to_have_attribute("data-status", "delivered")
    expect(cards.nth(1)).to_have_attribute("data-status", "failed")
    expect(cards.nth(2)).to_have_attribute("data-status", "assigned")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(ARTIFACTS / "courier-schedule-after.png"), full_page=True)


def test_a_wrong_link_shows_no_schedule(phone, live_store):
    manager = Manager(live_store)
    courier = manager.post("/api/v1/couriers", {"name": "Jan"})
    response = phone.goto(courier["schedule_url"].replace(courier["token"], "guessed"))
    assert response.status == 404
    assert "Jan" not in phone.content()


def test_the_managers_week_shows_the_load_table_and_the_chart_inline(browser, live_store):
    manager = Manager(live_store)
    today = dt.datetime.now(ZoneInfo("Europe/Warsaw")).date()
    manager.post("/api/v1/couriers", {"name": "Ewa", "working_days": list(range(7))})
    for n in range(2):
        manager.post("/api/v1/deliveries", {
            "source": "store_sale", "source_ref": f"sale-{n}", "date": today.isoformat(),
            "address": {"street": f"Długa {n + 1}", "city": "Warszawa", "postal_code": "00-238"}})
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(f"{live_store.url}/dispatch/week?start={today.isoformat()}")

    login = tab.locator("#login")
    expect(login).to_be_visible()
    login.locator("[name=login]").fill("boss")
    login.locator("[name=pin]").fill("9999")
    login.locator("button").click()
    expect(tab.locator("#week")).to_be_visible()
    tab.locator("#plan").click()
    expect(tab.locator("#plan-result")).to_contain_text("2 stops planned")

    row = tab.locator("#load tbody tr", has_text="Ewa")
    column = today.weekday() + 1  # after the name
    expect(row.locator("td").nth(column)).to_contain_text("2 / 40")
    chart = tab.locator("#chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("text", has_text="Ewa")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "dispatch-week.png"), full_page=True)
    # The token lives in this tab's sessionStorage only; a fresh tab is asked to log in again.
    other = context.new_page()
    other.goto(f"{live_store.url}/dispatch/week")
    expect(other.locator("#login")).to_be_visible()
    context.close()
    assert errors == []
