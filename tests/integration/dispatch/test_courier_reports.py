"""What couriers report from the road: status history, the customer's timeline and the change feed."""
from __future__ import annotations

from sqlalchemy import select

from pos.customers.models import Customer, CustomerEvent
from pos.dispatch.models import DeliveryStatusEvent
from pos.feed.models import Change


def _customer(app) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        customer = Customer(name="Zofia Kowalska", phone="+48600100200", origin="store:S1")
        uow.session.add(customer)
        uow.commit()
        return str(customer.id)


def _read(app, query):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.execute(query).scalars())


def test_picked_up_and_delivered_reach_history_timeline_and_change_feed(app, dispatch):
    ewa = dispatch.courier("Ewa")
    customer_id = _customer(app)
    delivery = dispatch.delivery(customer_id=customer_id, date=dispatch.day(0).isoformat(), source="store_sale",
                                 source_ref="sale-42", notes="Ring twice")
    dispatch.plan()

    first = dispatch.report(ewa, delivery["id"], "picked_up")
    double_tap = dispatch.report(ewa, delivery["id"], "picked_up")
    done = dispatch.report(ewa, delivery["id"], "delivered")

    assert first.status_code == 200 and first.get_json() == {
        "id": delivery["id"], "status": "out_for_delivery", "failure_reason": None, "recorded": True}
    assert double_tap.status_code == 200 and double_tap.get_json()["recorded"] is False
    assert done.status_code == 200 and done.get_json()["status"] == "delivered"

    history = dispatch.api.get(f"/api/v1/deliveries/{delivery['id']}").get_json()["history"]
    assert [h["status"] for h in history] == ["open", "assigned", "picked_up", "delivered"]
    assert history[-1]["actor"] == f"courier:{ewa['id']}" and history[-1]["courier_id"] == ewa["id"]

    timeline = _read(app, select(CustomerEvent).where(CustomerEvent.customer_id == Customer.id)
                     .where(Customer.phone == "+48600100200").order_by(CustomerEvent.at))
    assert [(e.channel, e.kind, e.reference, e.details["status"]) for e in timeline] == [
        ("courier", "delivery", delivery["id"], "picked_up"), ("courier", "delivery", delivery["id"], "delivered")]
    assert timeline[-1].details["courier"] == "Ewa" and timeline[-1].details["source_ref"] == "sale-42"

    changes = _read(app, select(Change).where(Change.entity == "delivery", Change.entity_id == delivery["id"])
                    .order_by(Change.seq))
    assert changes[0].op == "created"
    reported = [c.payload for c in changes if c.payload.get("event")]
    assert [(p["event"]["status"], p["status"]) for p in reported] == [
        ("picked_up", "out_for_delivery"), ("delivered", "delivered")]
    assert all(c.op == "updated" for c in changes[1:])
    assert reported[-1]["assignment"]["courier_id"] == ewa["id"]


def test_a_failed_delivery_needs_a_reason_and_can_be_planned_again(app, dispatch):
    ewa = dispatch.courier("Ewa")
    delivery = dispatch.delivery(customer_id=_customer(app), earliest=dispatch.day(0).isoformat(),
                                 latest=dispatch.day(4).isoformat())
    dispatch.plan()

    silent = dispatch.report(ewa, delivery["id"], "failed")
    assert silent.status_code == 422
    assert silent.get_json()["invalid_params"][0]["name"] == "reason"
    failed = dispatch.report(ewa, delivery["id"], "failed", "Nobody at home")
    assert failed.status_code == 200
    assert failed.get_json()["status"] == "failed" and failed.get_json()["failure_reason"] == "Nobody at home"
    late = dispatch.report(ewa, delivery["id"], "delivered")
    assert late.status_code == 409 and late.get_json()["invalid_params"][0]["name"] == "status"

    events = _read(app, select(DeliveryStatusEvent).where(DeliveryStatusEvent.status == "failed"))
    assert [e.reason for e in events] == ["Nobody at home"]
    timeline = _read(app, select(CustomerEvent).where(CustomerEvent.channel == "courier"))
    assert [e.details["reason"] for e in timeline] == ["Nobody at home"]

    assert dispatch.api.post(f"/api/v1/deliveries/{delivery['id']}/reopen").get_json()["status"] == "open"
    assert dispatch.plan()["assigned"] == 1
    assert dispatch.deliveries()[delivery["id"]]["status"] == "assigned"


def test_a_courier_reports_only_on_their_own_stops_and_managers_may_report_for_them(dispatch):
    ewa = dispatch.courier("Ewa", postal_prefixes=["00-"])
    jan = dispatch.courier("Jan", postal_prefixes=["01-"])
    hers = dispatch.delivery("00-001", date=dispatch.day(0).isoformat())
    dispatch.plan()

    assert dispatch.report(jan, hers["id"], "delivered").status_code == 404
    unplanned = dispatch.delivery("02-001", date=dispatch.day(0).isoformat())
    assert dispatch.report(ewa, unplanned["id"], "delivered").status_code == 404
    by_manager = dispatch.api.post(f"/api/v1/deliveries/{hers['id']}/status", json={"status": "delivered"})
    assert by_manager.status_code == 200 and by_manager.get_json()["status"] == "delivered"
    history = dispatch.api.get(f"/api/v1/deliveries/{hers['id']}").get_json()["history"]
    assert history[-1]["actor"] == "manager:boss"
