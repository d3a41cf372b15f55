"""Planning through the API: stored assignments, schedules, pins, sick couriers, parcels already in the van."""
from __future__ import annotations

from collections import Counter


def test_a_plan_assigns_every_delivery_and_the_schedule_lists_the_stops_in_order(dispatch):
    ewa = dispatch.courier("Ewa", postal_prefixes=["00-"], max_stops=10)
    jan = dispatch.courier("Jan", postal_prefixes=["01-"], max_stops=10)
    ids = [dispatch.delivery("00-%03d" % i, date=dispatch.day(i % 3).isoformat())["id"] for i in range(6)]
    ids += [dispatch.delivery("01-100", earliest=dispatch.day(0).isoformat(), latest=dispatch.day(4).isoformat(),
                              address={"lat": 52.25, "lon": 20.98})["id"] for _ in range(4)]

    plan = dispatch.plan()

    assert plan["assigned"] == 10 and plan["unassigned"] == []
    assert plan["horizon"] == {"start": dispatch.day(0).isoformat(), "end": dispatch.day(4).isoformat(), "days": 5}
    assert plan["balance"]["courier_day"]["count"] == 10  # two couriers × five working days
    slots = dispatch.slots()
    assert set(slots) == set(ids)
    assert {slots[i][0] for i in ids[:6]} == {ewa["id"]} and {slots[i][0] for i in ids[6:]} == {jan["id"]}
    assert all(d["status"] == "assigned" for d in dispatch.deliveries().values())

    response = dispatch.schedule(jan, dispatch.day(0), dispatch.day(6))
    assert response.status_code == 200, response.get_json()
    days = response.get_json()["days"]
    assert [d["date"] for d in days] == [dispatch.day(i).isoformat() for i in range(7)]
    assert [d["working"] for d in days] == [True] * 5 + [False] * 2
    stops = [s for d in days for s in d["stops"]]
    assert sorted(s["delivery_id"] for s in stops) == sorted(ids[6:])
    for day in days:
        assert [s["sequence"] for s in day["stops"]] == list(range(1, len(day["stops"]) + 1))
    assert all(s["map_url"].startswith("https://www.openstreetmap.org/?mlat=52.250000&mlon=20.980000")
               for s in stops)
    ewa_stops = [s for d in dispatch.schedule(ewa, dispatch.day(0), dispatch.day(4)).get_json()["days"]
                 for s in d["stops"]]
    assert all(s["map_url"].startswith("https://www.openstreetmap.org/search?query=") for s in ewa_stops)
    assert {s["parcels"] for s in ewa_stops} == {1}


def test_what_cannot_be_planned_comes_back_with_a_reason(dispatch):
    dispatch.courier("Ewa", postal_prefixes=["00-"], max_stops=1, working_days=[0])
    nowhere = dispatch.delivery("99-999", date=dispatch.day(0).isoformat())["id"]
    first = dispatch.delivery("00-001", date=dispatch.day(0).isoformat())["id"]
    second = dispatch.delivery("00-002", date=dispatch.day(0).isoformat())["id"]

    plan = dispatch.plan()

    reasons = {u["delivery_id"]: u["reason"] for u in plan["unassigned"]}
    assert reasons[nowhere] == "no_courier_for_zone"
    assert sorted(reasons.values()) == ["capacity", "no_courier_for_zone"]
    assert (first in reasons) != (second in reasons)
    statuses = {i: d["status"] for i, d in dispatch.deliveries().items()}
    assert statuses[nowhere] == "open" and sorted(statuses.values()) == ["assigned", "open", "open"]


def test_pins_are_kept_by_full_and_incremental_plans(dispatch):
    ewa = dispatch.courier("Ewa")
    jan = dispatch.courier("Jan")
    ids = [dispatch.delivery(earliest=dispatch.day(0).isoformat(), latest=dispatch.day(4).isoformat())["id"]
           for _ in range(8)]
    pinned, day_only = ids[0], ids[1]
    response = dispatch.api.put(f"/api/v1/deliveries/{pinned}/pin",
                                json={"courier_id": jan["id"], "day": dispatch.day(3).isoformat()})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["pin"] == {"courier_id": jan["id"], "day": dispatch.day(3).isoformat()}
    assert dispatch.api.put(f"/api/v1/deliveries/{day_only}/pin",
                            json={"day": dispatch.day(4).isoformat()}).status_code == 200

    for mode in ("full", "incremental", "full"):
        dispatch.plan(mode=mode)
        slots = dispatch.slots()
        assert slots[pinned] == (jan["id"], dispatch.day(3).isoformat())
        assert slots[day_only][1] == dispatch.day(4).isoformat()
    assert ewa["id"] in {c for c, _ in dispatch.slots().values()}


def test_a_courier_off_sick_moves_only_their_stops_that_day(dispatch):
    ewa = dispatch.courier("Ewa", max_stops=8)
    jan = dispatch.courier("Jan", max_stops=8)
    ola = dispatch.courier("Ola", max_stops=8)
    for _ in range(18):
        dispatch.delivery(earliest=dispatch.day(0).isoformat(), latest=dispatch.day(4).isoformat())
    dispatch.plan(days=14, start=None)
    before = dispatch.slots()
    sick_day = dispatch.day(1).isoformat()
    on_sick_day = {i for i, slot in before.items() if slot == (ewa["id"], sick_day)}
    assert on_sick_day, "the plan should give Ewa some stops on the sick day"

    response = dispatch.api.post(f"/api/v1/couriers/{ewa['id']}/days-off", json={"days": [sick_day]})

    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["added"] == [sick_day] and sick_day in answer["courier"]["days_off"]
    assert answer["plan"]["unassigned"] == []
    after = dispatch.slots()
    moved = {i for i in before if before[i] != after[i]}
    assert moved == on_sick_day
    assert sorted(answer["plan"]["moved"]) == sorted(on_sick_day)
    assert all(after[i] != (ewa["id"], sick_day) for i in moved)
    assert {c for c, _ in after.values()} == {ewa["id"], jan["id"], ola["id"]}


def test_a_parcel_out_for_delivery_is_never_moved(dispatch):
    ewa = dispatch.courier("Ewa", max_stops=6)
    jan = dispatch.courier("Jan", max_stops=6)
    for _ in range(6):
        dispatch.delivery(date=dispatch.day(2).isoformat())
    dispatch.plan()
    before = dispatch.slots()
    in_van = next(i for i, slot in before.items() if slot[0] == ewa["id"])
    response = dispatch.report(ewa, in_van, "picked_up")
    assert response.status_code == 200 and response.get_json()["status"] == "out_for_delivery"

    # Ewa reported sick on that very day after loading the van: the parcel stays hers; the rest go to Jan.
    response = dispatch.api.post(f"/api/v1/couriers/{ewa['id']}/days-off",
                                 json={"days": [dispatch.day(2).isoformat()], "replan": False})
    assert response.status_code == 200 and response.get_json()["plan"] is None
    for mode in ("incremental", "full"):
        dispatch.plan(mode=mode)
        after = dispatch.slots()
        assert after[in_van] == before[in_van]
        assert Counter(c for c, _ in after.values()) == Counter({jan["id"]: 5, ewa["id"]: 1})
    assert dispatch.deliveries()[in_van]["status"] == "out_for_delivery"


def test_the_same_order_twice_is_one_delivery_and_cancelling_takes_it_off_the_plan(dispatch):
    ewa = dispatch.courier("Ewa")
    first = dispatch.delivery(source="marketplace_order", source_ref="ALLEGRO-77", date=dispatch.day(0).isoformat())
    again = dispatch.api.post("/api/v1/deliveries", json={
        "source": "marketplace_order", "source_ref": "ALLEGRO-77",
        "address": {"street": "Inna 1", "city": "Warszawa", "postal_code": "00-001"}})
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    kept = dispatch.delivery(source="store_sale", source_ref="sale-1", date=dispatch.day(0).isoformat())
    dispatch.plan()
    assert set(dispatch.slots()) == {first["id"], kept["id"]}

    response = dispatch.api.post(f"/api/v1/deliveries/{first['id']}/cancel", json={"reason": "customer called"})

    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert set(dispatch.slots()) == {kept["id"]}
    day = dispatch.schedule(ewa, dispatch.day(0), dispatch.day(0)).get_json()["days"][0]
    assert [s["delivery_id"] for s in day["stops"]] == [kept["id"]]
    assert dispatch.plan()["assigned"] == 1
    assert dispatch.report(ewa, kept["id"], "picked_up").status_code == 200
    refused = dispatch.api.post(f"/api/v1/deliveries/{kept['id']}/cancel", json={})
    assert refused.status_code == 409 and refused.get_json()["invalid_params"][0]["name"] == "status"
