"""Loose goods at a till with a checkout scale: the weight comes from the scale (8217 emulator on a pty),
a refused weighing says why, and a weight typed by hand needs a manager's PIN (audited)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from pos.staff.models import AuditEntry
from tests.conftest import login
from tests.integration.devices.conftest import configure_terminal

WEIGHED_SKU = "SKU-000005"  # sold by the kilogram in the demo catalogue


@pytest.fixture
def scale_till(app, hub, client):
    configure_terminal(app, scale_url="emulator://scale?timeout=0.3")
    api = login(client)
    assert api.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
    return api


def platter(hub):
    station = next(iter(hub.stations.values()))
    return station.device("scale").emulator


def new_basket(api) -> str:
    return api.post("/api/v1/baskets", json={}).get_json()["id"]


def plu_of(api, sku) -> str:
    return str(api.get(f"/api/v1/products?q={sku}").get_json()["items"][0]["plu"])


def test_a_plu_of_loose_goods_takes_its_weight_from_the_scale(scale_till, hub):
    basket = new_basket(scale_till)
    scale_till.get("/api/v1/devices")  # the till's devices come up
    platter(hub).place(1_234)
    response = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={"code": plu_of(scale_till, WEIGHED_SKU)})
    assert response.status_code == 201, response.get_json()
    line = response.get_json()["lines"][0]
    assert line["quantity"] == 1_234 and line["unit"] == "kg"
    assert line["amount"] == (line["unit_price"] * 1_234 + 500) // 1000


def test_weigh_with_a_tare_takes_the_container_off(scale_till, hub):
    basket = new_basket(scale_till)
    scale_till.get("/api/v1/devices")
    platter(hub).place(40 + 560)
    response = scale_till.post(f"/api/v1/baskets/{basket}/lines",
                               json={"sku": WEIGHED_SKU, "weigh": True, "tare_grams": 40})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lines"][0]["quantity"] == 560
    assert platter(hub).tare == 0  # cleared for the next customer


@pytest.mark.parametrize(("grams", "motion", "code", "polish"), [
    (800, True, "scale_motion", "Waga jeszcze się nie ustabilizowała."),
    (0, False, "scale_zero", "Na wadze nic nie ma."),
])
def test_an_unsteady_or_empty_scale_is_refused_in_the_tills_language_and_nothing_is_added(scale_till, hub, grams,
                                                                                          motion, code, polish):
    basket = new_basket(scale_till)
    scale_till.get("/api/v1/devices")
    platter(hub).place(grams, motion=motion)
    response = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": WEIGHED_SKU, "weigh": True},
                               headers={"Cookie": "pos_lang=pl"})
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["device_fault"]["code"] == code
    assert problem["detail"] == problem["device_fault"]["message"] == polish
    assert problem["invalid_params"][0]["name"] == "weigh"
    assert problem["title"]  # what to do next
    assert scale_till.get(f"/api/v1/baskets/{basket}").get_json()["lines"] == []


def test_pieces_cannot_be_weighed(scale_till, hub):
    basket = new_basket(scale_till)
    scale_till.get("/api/v1/devices")
    platter(hub).place(500)
    pieces = scale_till.get("/api/v1/products?q=SKU-000001").get_json()["items"][0]
    assert pieces["unit"] == "pcs"
    response = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": pieces["sku"], "weigh": True})
    assert response.status_code == 422 and response.get_json()["invalid_params"][0]["name"] == "weigh"


def test_a_weight_typed_by_hand_needs_a_manager_and_is_audited(app, scale_till, hub):
    basket = new_basket(scale_till)
    refused = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": WEIGHED_SKU, "quantity": 700})
    assert refused.status_code == 403 and refused.get_json()["invalid_params"][0]["name"] == "approval"
    cashier_is_no_manager = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={
        "sku": WEIGHED_SKU, "quantity": 700, "approval": {"login": "demo", "pin": "1234"}})
    assert cashier_is_no_manager.status_code == 403
    approved = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={
        "sku": WEIGHED_SKU, "quantity": 700, "approval": {"login": "boss", "pin": "9999"}})
    assert approved.status_code == 201, approved.get_json()
    line = approved.get_json()["lines"][0]
    assert line["quantity"] == 700
    changed = scale_till.patch(f"/api/v1/baskets/{basket}/lines/{line['id']}", json={"quantity": 900})
    assert changed.status_code == 403
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "manual_weight")).all()
    assert [entry.details["grams"] for entry in audit] == [700]


def test_a_scale_that_stops_answering_shows_on_the_device_list_and_comes_back(scale_till, hub):
    basket = new_basket(scale_till)
    scale_till.get("/api/v1/devices")
    emulator = platter(hub)
    emulator.place(300)
    emulator.unplug()
    response = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": WEIGHED_SKU, "weigh": True})
    assert response.status_code == 409 and response.get_json()["device_fault"]["code"] == "offline"
    scale = next(d for d in scale_till.get("/api/v1/devices").get_json()["items"] if d["name"] == "scale")
    assert scale["state"] == "error" and scale["error"]["code"] == "offline"
    emulator.plug_in()
    again = scale_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": WEIGHED_SKU, "weigh": True})
    assert again.status_code == 201 and again.get_json()["lines"][0]["quantity"] == 300
    scale = next(d for d in scale_till.get("/api/v1/devices").get_json()["items"] if d["name"] == "scale")
    assert scale["state"] == "idle" and scale["error"] is None


def test_a_till_without_a_scale_still_takes_a_typed_weight(till):
    basket = new_basket(till)
    response = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": WEIGHED_SKU, "quantity": 500})
    assert response.status_code == 201
    no_scale = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": WEIGHED_SKU, "weigh": True})
    assert no_scale.status_code == 409 and no_scale.get_json()["invalid_params"][0]["name"] == "weigh"
