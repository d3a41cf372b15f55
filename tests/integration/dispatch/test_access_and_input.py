"""Refusals: bad input names the field (problem details), links and logins open only what they should."""
from __future__ import annotations

from tests.conftest import login

ADDRESS = {"street": "Marszałkowska 1", "city": "Warszawa", "postal_code": "00-001"}


def _problem(response, status):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    return body, [p["name"] for p in body["invalid_params"]]


BAD_DELIVERIES = [
    ({"address": {**ADDRESS, "postal_code": "ABC-12"}}, "address.postal_code"),
    ({"address": {**ADDRESS, "lat": 52.2}}, "address.lon"),
    ({"address": {**ADDRESS, "lat": 123.0, "lon": 21.0}}, "address.lat"),
    ({"address": {"street": "Długa 1", "postal_code": "00-001"}}, "address.city"),
    ({"window_start": "14:00", "window_end": "12:00"}, "window_end"),
    ({"window_start": "14:00"}, "window_end"),
    ({"window_start": "2pm", "window_end": "16:00"}, "window_start"),
    ({"earliest": "2099-03-05", "latest": "2099-03-02"}, "latest"),
    ({"date": "2000-01-03"}, "date"),
    ({"date": "2099-03-02", "earliest": "2099-03-02"}, "date"),
    ({"parcels": 0}, "parcels"),
    ({"weight_g": -5}, "weight_g"),
    ({"source": "fax"}, "source"),
    ({"customer_id": "01890a5d-ac96-774b-bcce-b302099a8057"}, "customer_id"),
    ({"colour": "red"}, "colour"),
]
BAD_COURIERS = [
    ({"shift_start": "16:00", "shift_end": "08:00"}, "shift_end"),
    ({"working_days": [0, 7]}, "working_days"),
    ({"max_stops": -1}, "max_stops"),
    ({"postal_prefixes": [" "]}, "postal_prefixes"),
]


def test_bad_deliveries_and_couriers_are_refused_naming_the_field(dispatch):
    # One app for all cases (setting one up is the slow part); each case is checked on its own.
    wrong = []
    for change, field in BAD_DELIVERIES:
        body = {"source": "web_order", "source_ref": "WEB-1", "address": ADDRESS, **change}
        response = dispatch.api.post("/api/v1/deliveries", json=body)
        names = [p["name"] for p in (response.get_json() or {}).get("invalid_params", [])]
        if response.status_code != 422 or response.mimetype != "application/problem+json" \
                or not any(n == field or n.endswith("." + field) for n in names) \
                or field.split(".")[-1] not in response.get_json()["detail"]:
            wrong.append((change, field, response.status_code, response.get_json()))
    for change, field in BAD_COURIERS:
        response = dispatch.api.post("/api/v1/couriers", json={"name": "Ewa", **change})
        names = [p["name"] for p in (response.get_json() or {}).get("invalid_params", [])]
        if response.status_code != 422 or not any(n == field or n.startswith(field) for n in names):
            wrong.append((change, field, response.status_code, response.get_json()))
    assert wrong == []
    assert dispatch.deliveries() == {}
    assert dispatch.api.get("/api/v1/couriers").get_json() == {"items": []}


def test_pins_and_plans_check_their_input(dispatch):
    delivery = dispatch.delivery(date=dispatch.day(1).isoformat())
    unknown = "01890a5d-ac96-774b-bcce-b302099a8057"
    _body, names = _problem(dispatch.api.put(f"/api/v1/deliveries/{delivery['id']}/pin",
                                             json={"courier_id": unknown}), 404)
    assert names == ["courier_id"]
    _body, names = _problem(dispatch.api.put(f"/api/v1/deliveries/{delivery['id']}/pin",
                                             json={"day": dispatch.day(3).isoformat()}), 422)
    assert names == ["day"]
    _body, names = _problem(dispatch.api.post("/api/v1/dispatch/plan", json={"days": 0}), 422)
    assert names == ["days"]
    _body, names = _problem(dispatch.api.post("/api/v1/dispatch/plan", json={"start": "2020-01-06"}), 422)
    assert names == ["start"]
    _body, names = _problem(dispatch.api.post(f"/api/v1/deliveries/{unknown}/cancel", json={}), 404)
    assert names == ["delivery_id"]


def test_dispatch_is_for_managers_and_couriers_only_see_their_own_schedule(client, dispatch):
    ewa = dispatch.courier("Ewa")
    jan = dispatch.courier("Jan")
    cashier = login(client, "demo", "1234")
    _problem(cashier.post("/api/v1/dispatch/plan", json={}), 403)
    _problem(cashier.get("/api/v1/couriers"), 403)
    _problem(client.get("/api/v1/couriers"), 401)
    # A courier's link is not a manager's login.
    _problem(client.post("/api/v1/dispatch/plan", json={}, headers={"Authorization": f"Bearer {ewa['token']}"}), 401)

    first, last = dispatch.day(0), dispatch.day(1)
    assert dispatch.schedule(ewa, first, last).status_code == 200
    assert client.get(f"/api/v1/couriers/{ewa['id']}/schedule",
                      headers={"Authorization": f"Bearer {ewa['token']}"}).status_code == 200
    _problem(dispatch.schedule(ewa, first, last, token=jan["token"]), 404)
    _problem(dispatch.schedule(ewa, first, last, token="not-the-secret"), 404)
    _problem(client.get(f"/api/v1/couriers/{ewa['id']}/schedule"), 401)
    assert dispatch.api.get(f"/api/v1/couriers/{ewa['id']}/schedule").status_code == 200  # the manager
    # A manager's token is not accepted in a URL.
    _problem(client.get(f"/api/v1/couriers/{ewa['id']}/schedule?token={dispatch.api.token}"), 404)


def test_wrong_calendar_and_page_links_are_not_found_and_a_rotated_link_stops_working(client, dispatch):
    ewa = dispatch.courier("Ewa")
    base = f"/couriers/{ewa['id']}"
    assert client.get(f"{base}/schedule.ics?token={ewa['token']}").status_code == 200
    assert client.get(f"{base}/schedule?token={ewa['token']}").status_code == 200
    for path in (f"{base}/schedule.ics?token=wrong", f"{base}/schedule.ics", f"{base}/schedule?token=wrong",
                 f"/couriers/01890a5d-ac96-774b-bcce-b302099a8057/schedule.ics?token={ewa['token']}"):
        assert client.get(path).status_code == 404, path

    rotated = dispatch.api.post(f"/api/v1/couriers/{ewa['id']}/link")
    assert rotated.status_code == 200
    assert client.get(f"{base}/schedule.ics?token={ewa['token']}").status_code == 404
    assert client.get(f"{base}/schedule.ics?token={rotated.get_json()['token']}").status_code == 200
    assert rotated.get_json()["calendar_url"].endswith(f"{base}/schedule.ics?token={rotated.get_json()['token']}")
