"""A store's sale that takes units HQ promised to an order becomes a named incident with a proposal, never a
silent negative: HQ finds it when the sale comes in (once, however often the sale is sent), proposes another
location or a cancellation from the real levels, and a manager applies or dismisses it, audited.  HQ on SQLite
and PostgreSQL (HQ and a store as separate processes: test_holds.py)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from pos.stock.models import Reservation, ReservationLine, StockLevel
from pos.stock.services import ledger_mismatches, promise_mismatches, record_movements
from pos.staff.models import AuditEntry
from pos.stores.models import Location
from sync.promises.models import PromiseConflict
from sync.webshop.keys import add_client
from tests.integration.sync.test_push_checks import a_sale, changes, hq, register_store, some_products  # noqa: F401
from tests.integration.sync.test_quarantine import APPROVAL, a_document, manager

URL = "/api/v1/promise-conflicts"


def shop_key(app) -> dict:
    with app.extensions["pos.db"].unit_of_work() as uow:
        _client, key = add_client(uow.session, f"shop-{uuid.uuid4().hex[:6]}", ["reservations:write"])
        uow.commit()
    return {"Authorization": f"Bearer {key}"}


def reserve(client, key: dict, channel: str, sku: str, quantity: int) -> dict:
    answer = client.post("/api/v1/reservations", headers={**key, "Idempotency-Key": str(uuid.uuid4())},
                         json={"channel": channel, "reference": f"order-{uuid.uuid4().hex[:8]}", "ttl_seconds": 900,
                               "lines": [{"sku": sku, "quantity": quantity}]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def add_warehouse(app, product, units: int) -> None:
    result = app.test_cli_runner().invoke(args=["stock", "add-location", "W1", "Magazyn", "--kind", "warehouse"])
    assert result.exit_code == 0, result.output
    with app.extensions["pos.db"].unit_of_work() as uow:
        w1 = uow.session.scalar(select(Location.id).where(Location.code == "W1"))
        record_movements(uow.session, w1, [(product.id, units)], "receipt")
        uow.commit()


def levels(app, product) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return {code: (level.on_hand, level.reserved, level.committed) for level, code in uow.session.execute(
            select(StockLevel, Location.code).join(Location, Location.id == StockLevel.location_id)
            .where(StockLevel.product_id == product.id))}


def lines_of(app, reservation_id) -> list[tuple]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return sorted(uow.session.execute(
            select(Location.code, ReservationLine.quantity).join(Location, Location.id == ReservationLine.location_id)
            .where(ReservationLine.reservation_id == uuid.UUID(reservation_id))).all())


def assert_books_hold(app) -> None:
    """Levels = ledger, reserved/committed = open reservations, and nothing promised below zero."""
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert ledger_mismatches(uow.session) == []
        assert promise_mismatches(uow.session) == []
        assert uow.session.scalars(select(StockLevel).where(
            (StockLevel.reserved < 0) | (StockLevel.committed < 0))).all() == []


def a_store_with_promises(hq, warehouse_units: int):
    """S9 confirmed 10 units; HQ promised all ten: 2 to a click-and-collect, then 8 to the web shop."""
    client, s9 = hq.test_client(), register_store(hq, "S9")
    product = some_products(hq, 1)[0]
    answer = client.post("/api/v1/sync/push", headers=s9,
                         json={"changes": changes(("stock_document", a_document("receipt", "S9", product, 10)))})
    assert answer.get_json()["applied"] == 1
    if warehouse_units:
        add_warehouse(hq, product, warehouse_units)
    key = shop_key(hq)
    collect = reserve(client, key, "collect:S9", product.sku, 2)
    web = reserve(client, key, "webshop", product.sku, 8)
    assert lines_of(hq, web["id"]) == [("S9", 8)]
    return client, s9, product, collect, web


def test_a_sale_of_promised_units_opens_one_incident_and_its_re_sourcing_is_applied_audited(hq):
    client, s9, product, collect, web = a_store_with_promises(hq, warehouse_units=5)
    sale = a_sale([product], 1)  # two units, sold at S9's till with a manager's override
    batch = changes(("sale", sale), start=2)
    assert client.post("/api/v1/sync/push", json={"changes": batch}, headers=s9).get_json()["applied"] == 1
    again = client.post("/api/v1/sync/push", json={"changes": batch}, headers=s9).get_json()
    assert again["applied"] == 0 and again["duplicates"] == 1

    boss = manager(client)
    assert client.get(URL, headers=s9).status_code == 403  # a store's token sees no incidents
    listed = client.get(URL, headers=boss).get_json()
    assert len(listed["items"]) == 1 and listed["counts"] == {"open": 1}
    incident = listed["items"][0]
    assert (incident["kind"], incident["store"], incident["sku"]) == ("promise_conflict", "S9", product.sku)
    assert (incident["on_hand"], incident["promised"], incident["short"]) == (8, 10, 2)
    assert {r["id"]: r["quantity"] for r in incident["reservations"]} == {collect["id"]: 2, web["id"]: 8}
    assert incident["causes"] == [{"entity": "change", "id": sale["id"]}]
    # The newest promise yields first, to the warehouse that can offer the units.
    assert incident["proposal"]["action"] == "re-source"
    assert [(s["reservation_id"], s["quantity"], s["from"], s["to"]) for s in incident["proposal"]["steps"]] == [
        (web["id"], 2, "S9", "W1")]

    # A second sale at S9 brings the same incident up to date: still one, now 3 short.
    third = changes(("sale", {**a_sale([product], 2), "lines": [{**a_sale([product], 2)["lines"][0], "quantity": 1,
                                                                 "gross": 150, "amount": 150}]}), start=3)
    third[0]["payload"].update(total=150, subtotal=150, vat=[{"vat_group": "A", "vat_rate_bp": 2300, "gross": 150,
                                                              "vat": 28}],
                               payments=[{"method": "card", "amount": 150, "reference": "", "refunded": 0}])
    assert client.post("/api/v1/sync/push", json={"changes": third}, headers=s9).get_json()["applied"] == 1
    listed = client.get(URL, headers=boss).get_json()["items"]
    assert len(listed) == 1 and listed[0]["short"] == 3 and len(listed[0]["causes"]) == 2
    assert [(s["quantity"], s["to"]) for s in listed[0]["proposal"]["steps"]] == [(3, "W1")]

    wrong = client.post(f"{URL}/{incident['id']}/apply", headers=boss,
                        json={"approval": {"login": "demo", "pin": "1234"}})
    assert wrong.status_code == 403 and levels(hq, product)["S9"] == (7, 10, 0)  # nothing moved
    applied = client.post(f"{URL}/{incident['id']}/apply", headers=boss, json={"approval": APPROVAL,
                                                                              "note": "W1 ships it"})
    assert applied.status_code == 200, applied.get_json()
    assert applied.get_json()["status"] == "applied"
    assert levels(hq, product)["S9"] == (7, 7, 0) and levels(hq, product)["W1"] == (5, 3, 0)
    assert lines_of(hq, web["id"]) == [("S9", 5), ("W1", 3)]
    assert_books_hold(hq)
    again = client.post(f"{URL}/{incident['id']}/apply", headers=boss, json={"approval": APPROVAL})
    assert again.status_code == 409  # once applied, never twice
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audits = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "promise_conflict_apply")).all()
    assert len(audits) == 1 and audits[0].details["store"] == "S9" and audits[0].details["note"] == "W1 ships it"


def a_sale_of(product, quantity: int, receipt_number: int = 1) -> dict:
    sale, gross = a_sale([product], receipt_number), 150 * quantity
    sale["lines"][0].update(quantity=quantity, gross=gross, amount=gross)
    sale.update(total=gross, subtotal=gross, vat=[{"vat_group": "A", "vat_rate_bp": 2300, "gross": gross,
                                                   "vat": round(gross * 23 / 123)}],
                payments=[{"method": "card", "amount": gross, "reference": "", "refunded": 0}])
    return sale


def subscribe(app, events: list[str]) -> None:
    from sync.webhooks.models import WebhookSubscription

    with app.extensions["pos.db"].unit_of_work() as uow:
        client, _key = add_client(uow.session, f"hook-{uuid.uuid4().hex[:6]}", ["webhooks:manage"])
        uow.session.add(WebhookSubscription(client_id=client.id, url="https://shop.example/hooks", events=events,
                                            secret="s" * 32))
        uow.commit()


def deliveries(app, event: str) -> list[dict]:
    from sync.webhooks.models import WebhookDelivery

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return [d.payload["data"] for d in uow.session.scalars(select(WebhookDelivery)
                                                                .where(WebhookDelivery.event == event))]


def test_with_nowhere_else_to_send_it_the_reservation_is_cancelled_and_no_level_goes_negative(hq):
    client, s9, product, collect, web = a_store_with_promises(hq, warehouse_units=0)
    subscribe(hq, ["reservation.cancelled"])
    # The store sold all ten and two more it had not booked in: on hand −2 at HQ, ten promised.
    big = a_sale_of(product, 12)
    answer = client.post("/api/v1/sync/push", json={"changes": changes(("sale", big), start=2)}, headers=s9)
    assert answer.get_json()["applied"] == 1, answer.get_json()
    boss = manager(client)
    incident = client.get(URL, headers=boss).get_json()["items"][0]
    assert (incident["on_hand"], incident["short"], incident["proposal"]["action"]) == (-2, 10, "cancel")
    assert {s["reservation_id"] for s in incident["proposal"]["steps"]} == {web["id"], collect["id"]}

    result = hq.test_cli_runner().invoke(args=["promises", "list"])
    assert result.exit_code == 0 and incident["id"] in result.output and "S9" in result.output, result.output
    result = hq.test_cli_runner().invoke(args=["promises", "apply", incident["id"], "--manager", "boss",
                                               "--note", "nothing left"], input="9999\n")
    assert result.exit_code == 0, result.output
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        statuses = {str(r.id): r.status for r in uow.session.scalars(select(Reservation))}
        conflict = uow.session.scalars(select(PromiseConflict)).one()
    assert statuses == {web["id"]: "released", collect["id"]: "released"}
    assert conflict.status == "applied" and conflict.open_key is None
    assert levels(hq, product)["S9"] == (-2, 0, 0)  # what the store sold, nothing more taken
    assert_books_hold(hq)
    # The web shop is told at once, so it cancels its orders too (the signed delivery goes out with the worker).
    told = sorted(deliveries(hq, "reservation.cancelled"), key=lambda d: d["reference"])
    assert {d["reservation_id"] for d in told} == {web["id"], collect["id"]} and len(told) == 2
    assert all(d["reason"] == "promise_conflict" and d["promise_conflict_id"] == incident["id"]
               and d["store"] == "S9" and d["status"] == "released" and d["sku"] == product.sku for d in told)


def test_a_dismissed_incident_changes_nothing_and_a_proposal_the_levels_moved_past_is_renewed(hq):
    client, s9, product, collect, web = a_store_with_promises(hq, warehouse_units=2)
    assert client.post("/api/v1/sync/push", json={"changes": changes(("sale", a_sale([product], 1)), start=2)},
                       headers=s9).get_json()["applied"] == 1
    boss = manager(client)
    incident = client.get(URL, headers=boss).get_json()["items"][0]
    assert incident["proposal"]["steps"][0]["to"] == "W1"
    reserve(client, shop_key(hq), "webshop", product.sku, 2)  # W1's two go to another order meanwhile
    before = levels(hq, product)
    stale = client.post(f"{URL}/{incident['id']}/apply", headers=boss, json={"approval": APPROVAL})
    assert stale.status_code == 409 and stale.get_json()["type"].endswith("/proposal-changed")
    renewed = client.get(f"{URL}/{incident['id']}", headers=boss).get_json()
    assert renewed["status"] == "open" and renewed["proposal"]["action"] == "cancel"
    assert levels(hq, product) == before

    no_note = client.post(f"{URL}/{incident['id']}/dismiss", headers=boss, json={"approval": APPROVAL})
    assert no_note.status_code == 422
    dismissed = client.post(f"{URL}/{incident['id']}/dismiss", headers=boss,
                            json={"approval": APPROVAL, "note": "the customer takes it from the back room"})
    assert dismissed.status_code == 200 and dismissed.get_json()["status"] == "dismissed"
    assert levels(hq, product) == before
    assert client.get(URL, headers=boss).get_json()["items"] == []
    assert len(client.get(URL, headers=boss, query_string={"status": "dismissed"}).get_json()["items"]) == 1
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("promise_conflict%"))).all() == ["promise_conflict_dismiss"]


def test_a_proposal_may_cancel_the_newest_order_and_re_source_an_older_one_in_one_go(hq):
    client, s9, product, collect, web = a_store_with_promises(hq, warehouse_units=2)
    released = client.post(f"/api/v1/reservations/{web['id']}/release",
                           headers={**shop_key(hq), "Idempotency-Key": "r1"})
    assert released.status_code == 200, released.get_json()
    key = shop_key(hq)
    older, newest = reserve(client, key, "webshop", product.sku, 4), reserve(client, key, "webshop", product.sku, 4)
    assert lines_of(hq, older["id"]) == lines_of(hq, newest["id"]) == [("S9", 4)]
    push = client.post("/api/v1/sync/push", json={"changes": changes(("sale", a_sale_of(product, 6)), start=2)},
                       headers=s9)
    assert push.get_json()["applied"] == 1
    boss = manager(client)
    incident = client.get(URL, headers=boss).get_json()["items"][0]
    assert incident["short"] == 6 and incident["proposal"]["action"] == "re-source-and-cancel"
    # W1 can offer two: not enough for the newest order's four, enough for two of the older one's.
    assert [(s["action"], s["reservation_id"], s["quantity"], s["to"]) for s in incident["proposal"]["steps"]] == [
        ("cancel", newest["id"], 4, None), ("re-source", older["id"], 2, "W1")]
    applied = client.post(f"{URL}/{incident['id']}/apply", headers=boss, json={"approval": APPROVAL})
    assert applied.status_code == 200, applied.get_json()
    assert levels(hq, product)["S9"] == (4, 4, 0) and levels(hq, product)["W1"] == (2, 2, 0)
    assert lines_of(hq, older["id"]) == [("S9", 2), ("W1", 2)] and lines_of(hq, collect["id"]) == [("S9", 2)]
    assert_books_hold(hq)
