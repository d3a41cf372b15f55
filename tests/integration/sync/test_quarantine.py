"""A store's token writes only that store's locations: a change for another store's location, sale or shift
is refused, quarantined, and nothing of it applied; an operator sees the quarantine, replays a change (fixed,
or once HQ authorised a cross-store return) or discards it, each with an audit entry.  HQ on SQLite and
PostgreSQL."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pos.returns.models import Return
from pos.sales.models import Sale, SaleLine
from pos.shifts.models import Shift
from pos.staff.models import AuditEntry
from pos.stock.models import StockLevel
from pos.stores.models import AppliedChange, Location
from sync.quarantine.models import QuarantinedChange
from tests.integration.sync.test_push_checks import (a_sale, changes, held_at_hq, hq, refused_fields,  # noqa: F401
                                                     register_store, some_products)

NOW = "2026-12-03T09:00:00+00:00"


def on_hand(app, code: str, product_id) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0)).join(
            Location, Location.id == StockLevel.location_id).where(Location.code == code,
                                                                   StockLevel.product_id == product_id))


def a_document(kind: str, location: str, product, quantity: int, to_location=None, arrivals=None) -> dict:
    reason = {"receipt": "receipt", "transfer": "transfer_out"}[kind]
    return {"id": str(uuid.uuid4()), "kind": kind, "location": location, "to_location": to_location,
            "reference": "", "note": "", "lines": [], "created_at": NOW, "reason": reason,
            "movements": [{"product_id": str(product.id), "sku": product.sku, "quantity": quantity, "reason": reason}],
            "arrivals": arrivals or []}


def a_return(sale: dict, store="S9") -> dict:
    line = sale["lines"][0]
    return {"id": str(uuid.uuid4()), "sale_id": sale["id"], "store": store, "terminal": "T1", "created_at": NOW,
            "currency": "PLN", "total": 150, "rounding": 0, "reason": "", "approved_by": str(uuid.uuid4()),
            "cashier_id": str(uuid.uuid4()), "shift_id": str(uuid.uuid4()),
            "lines": [{"sale_line_id": line["id"], "quantity": 1, "amount": 150}],
            "refunds": [{"method": "card", "amount": 150}]}


def manager(client) -> dict:
    answer = client.post("/api/v1/auth/login", json={"login": "boss", "pin": "9999", "terminal": "T1"})
    assert answer.status_code == 201, answer.get_json()
    return {"Authorization": "Bearer " + answer.get_json()["token"]}


APPROVAL = {"login": "boss", "pin": "9999"}


def test_a_store_token_writes_only_its_own_locations(hq):
    client = hq.test_client()
    s8, s9 = register_store(hq, "S8"), register_store(hq, "S9")
    product = some_products(hq, 1)[0]
    theirs = a_sale([product], 1, store="S8")
    assert client.post("/api/v1/sync/push", json={"changes": changes(("sale", theirs))},
                       headers=s8).get_json()["applied"] == 1
    before = {code: on_hand(hq, code, product.id) for code in ("S8", "HQ")}

    phantom_arrivals = [{"product_id": str(product.id), "sku": product.sku, "quantity": 500, "reason": "transfer_in"}]
    fair_transfer = a_document("transfer", "S9", product, -2, to_location="S8", arrivals=[
        {"product_id": str(product.id), "sku": product.sku, "quantity": 2, "reason": "transfer_in"}])
    batch = changes(
        ("stock_document", a_document("receipt", "S8", product, 500)),
        ("stock_document", a_document("transfer", "S9", product, -1, to_location="HQ", arrivals=phantom_arrivals)),
        ("return", a_return(theirs)),
        ("shift", {"id": theirs["shift_id"], "terminal": "T1", "currency": "PLN", "status": "closed",
                   "opening_float": 0, "opened_at": NOW, "closed_at": NOW, "counted_cash": 999999}),
        ("sale", a_sale([product], 1, store="S8")),
        ("sale", a_sale([product], 2, shift_id=theirs["shift_id"])),
        ("sale", {**theirs, "store": "S9"}),
        ("stock_document", fair_transfer))
    answer = client.post("/api/v1/sync/push", json={"changes": batch}, headers=s9)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert refused_fields(body) == {
        1: (403, "changes[0].payload.location"), 2: (403, "changes[1].payload.arrivals"),
        3: (403, "changes[2].payload.sale_id"), 4: (403, "changes[3].payload.id"),
        5: (403, "changes[4].payload.store"), 6: (403, "changes[5].payload.shift_id"),
        7: (403, "changes[6].payload.id")}
    assert "S8" in body["refused"][0]["problem"]["detail"] and "S8" in body["refused"][2]["problem"]["detail"]
    assert body["applied"] == 1  # only the fair transfer: its units left S9 for S8
    assert on_hand(hq, "S8", product.id) == before["S8"] + 2
    assert on_hand(hq, "HQ", product.id) == before["HQ"]  # no phantom units at the warehouse
    assert on_hand(hq, "S9", product.id) == -2
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        shift = uow.session.get(Shift, uuid.UUID(theirs["shift_id"]))
        assert shift.status == "open" and shift.counted_cash is None  # S8's shift untouched
        assert uow.session.scalar(select(func.sum(SaleLine.returned_quantity)).where(
            SaleLine.sale_id == uuid.UUID(theirs["id"]))) == 0
        assert uow.session.scalar(select(func.count()).select_from(Sale).where(
            Sale.location_id == select(Location.id).where(Location.code == "S9").scalar_subquery())) == 0
    assert set(held_at_hq(hq, "S9")["quarantined"]) == {1, 2, 3, 4, 5, 6, 7}
    movement = {"id": str(uuid.uuid4()), "location": "HQ", "reason": "receipt",
                "movements": [{"product_id": str(product.id), "sku": product.sku, "quantity": 500}]}
    single = client.post("/api/v1/sync/push", json={"changes": changes(("stock_movement", movement), start=9)},
                         headers=s9).get_json()
    assert refused_fields(single) == {9: (403, "changes[0].payload.location")}
    assert on_hand(hq, "HQ", product.id) == before["HQ"]

    # The cross-store return goes in only once HQ authorised it, by a manager's PIN, audited.
    boss = manager(client)
    held_return = body["refused"][2]["quarantine_id"]
    still = client.post(f"/api/v1/quarantine/{held_return}/replay", json={"approval": APPROVAL}, headers=boss)
    assert still.status_code == 403 and still.get_json()["invalid_params"][0]["name"] == "payload.sale_id"
    allowed = client.post("/api/v1/cross-store-returns", headers=boss,
                          json={"approval": APPROVAL, "sale_id": theirs["id"], "store": "S9", "reason": "tourist"})
    assert allowed.status_code == 201, allowed.get_json()
    replayed = client.post(f"/api/v1/quarantine/{held_return}/replay", json={"approval": APPROVAL}, headers=boss)
    assert replayed.status_code == 200, replayed.get_json()
    assert replayed.get_json()["status"] == "replayed"
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        taken_back = uow.session.get(Return, uuid.UUID(body["refused"][2]["entity_id"]))
        assert taken_back.location_id == uow.session.scalar(select(Location.id).where(Location.code == "S9"))
        assert uow.session.scalar(select(func.sum(SaleLine.returned_quantity)).where(
            SaleLine.sale_id == uuid.UUID(theirs["id"]))) == 1
        actions = list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.at)))
    assert actions[-2:] == ["cross_store_return", "quarantine_replay"]
    assert on_hand(hq, "S9", product.id) == -2 + 1  # the piece came back to the store that took it


def test_an_operator_replays_a_fixed_change_and_discards_another_with_audit_entries(hq):
    client, s9 = hq.test_client(), register_store(hq, "S9")
    products = some_products(hq)
    broken, unwanted, fine = a_sale(products, 1), a_sale(products, 2), a_sale(products, 3)
    broken["lines"][0]["quantity"] = "2"
    unwanted["payments"][0]["amount"] += 1
    body = client.post("/api/v1/sync/push", json={"changes": changes(("sale", broken), ("sale", unwanted),
                                                                     ("sale", fine))}, headers=s9).get_json()
    assert body["applied"] == 1 and body["quarantined"] == 2
    fix_id, drop_id = (item["quarantine_id"] for item in body["refused"])

    assert client.get("/api/v1/quarantine", headers=s9).status_code == 403  # not for store tokens
    cashier = client.post("/api/v1/auth/login", json={"login": "demo", "pin": "1234", "terminal": "T1"})
    assert client.get("/api/v1/quarantine", headers={
        "Authorization": "Bearer " + cashier.get_json()["token"]}).status_code == 403
    boss = manager(client)
    listed = client.get("/api/v1/quarantine", query_string={"store": "S9"}, headers=boss).get_json()
    assert [(i["seq"], i["status"]) for i in listed["items"]] == [(1, "held"), (2, "held")]
    assert listed["counts"] == {"held": 2}
    shown = client.get(f"/api/v1/quarantine/{fix_id}", headers=boss).get_json()
    assert shown["payload"]["lines"][0]["quantity"] == "2"
    assert shown["problem"]["invalid_params"][0]["name"] == "changes[0].payload.lines[0].quantity"

    as_sent = client.post(f"/api/v1/quarantine/{fix_id}/replay", json={"approval": APPROVAL}, headers=boss)
    assert as_sent.status_code == 422 and as_sent.get_json()["invalid_params"][0]["name"] == \
        "payload.lines[0].quantity"
    wrong_pin = client.post(f"/api/v1/quarantine/{fix_id}/replay", headers=boss,
                            json={"approval": {"login": "boss", "pin": "0000"}, "payload": shown["payload"]})
    assert wrong_pin.status_code == 401
    fixed = {**shown["payload"], "lines": [{**shown["payload"]["lines"][0], "quantity": 2},
                                           *shown["payload"]["lines"][1:]]}
    replayed = client.post(f"/api/v1/quarantine/{fix_id}/replay", headers=boss,
                           json={"approval": APPROVAL, "payload": fixed, "note": "quantity typed as text"})
    assert replayed.status_code == 200, replayed.get_json()
    assert replayed.get_json()["status"] == "replayed" and replayed.get_json()["note"] == "quantity typed as text"
    assert client.post(f"/api/v1/quarantine/{fix_id}/replay", json={"approval": APPROVAL},
                       headers=boss).status_code == 409  # once

    no_note = client.post(f"/api/v1/quarantine/{drop_id}/discard", json={"approval": APPROVAL}, headers=boss)
    assert no_note.status_code == 422
    nul_note = client.post(f"/api/v1/quarantine/{drop_id}/discard", json={"approval": APPROVAL, "note": "a\x00"},
                           headers=boss)
    assert nul_note.status_code == 422 and nul_note.get_json()["invalid_params"][0]["name"] == "note"
    dropped = client.post(f"/api/v1/quarantine/{drop_id}/discard", headers=boss,
                          json={"approval": APPROVAL, "note": "card slip shows the right amount; entered again"})
    assert dropped.status_code == 200 and dropped.get_json()["status"] == "discarded"

    held = held_at_hq(hq)
    assert held["sales"] == {uuid.UUID(broken["id"]), uuid.UUID(fine["id"])}
    assert held["applied"] == {1, 3}
    assert {seq: row.status for seq, row in held["quarantined"].items()} == {1: "replayed", 2: "discarded"}
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audit = {row.action: row for row in uow.session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(("quarantine_replay", "quarantine_discard"))))}
        resolvers = set(uow.session.scalars(select(QuarantinedChange.resolved_by)))
        assert uow.session.scalar(select(func.count()).select_from(AppliedChange)) == 2
    assert set(audit) == {"quarantine_replay", "quarantine_discard"}
    assert audit["quarantine_replay"].details["fixed"] is True and audit["quarantine_replay"].details["seq"] == 1
    assert audit["quarantine_discard"].details["note"].startswith("card slip")
    assert resolvers == {audit["quarantine_replay"].manager_id}
    assert client.get("/api/v1/quarantine", headers=boss).get_json()["items"] == []  # nothing held any more
