"""HQ checks each pushed change on its own: one that does not fit (a malformed payload, a number beyond
64 bits, sums that do not add up, a receipt number HQ holds for another sale) is quarantined with a problem
naming the field, and the rest of the batch is applied once (SQLite and PostgreSQL at HQ: COPY on one,
executemany on the other)."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.sales.models import Sale, SaleLine
from pos.stock.models import StockLevel, StockMovement
from pos.stores.models import AppliedChange, Location, StoreContact
from sync.quarantine.models import QuarantinedChange
from tests.conftest import make_test_app, seed_store


@pytest.fixture
def hq(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="HQ")
    seed_store(app, pin_hashes, product_count=5)
    yield app
    app.extensions["pos.db"].dispose()


def register_store(app, code="S9") -> dict:
    result = app.test_cli_runner().invoke(args=["stores", "add", code, "Sklep Testowy", "--country", "PL"])
    assert result.exit_code == 0, result.output
    return {"Authorization": "Bearer " + re.search(r"POS_STORE_TOKEN=(\S+)", result.output).group(1)}


def some_products(app, count=3) -> list:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(Product).where(Product.unit == "pcs").order_by(Product.sku)
                                        .limit(count)))


def a_sale(products, receipt_number: int, store="S9", shift_id=None) -> dict:
    """A sale as a store's feed carries it: lines, VAT and payments that add up."""
    lines = [{"id": str(uuid.uuid4()), "position": i, "product_id": str(p.id), "sku": p.sku, "name": p.name,
              "unit": "pcs", "quantity": 2, "unit_price": 150, "gross": 300, "discount": 0, "amount": 300,
              "vat_group": "A", "vat_rate_bp": 2300, "returned_quantity": 0}
             for i, p in enumerate(products, start=1)]
    total = 300 * len(lines)
    return {"id": str(uuid.uuid4()), "store": store, "terminal": "T1", "receipt_number": receipt_number,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(), "cashier_id": str(uuid.uuid4()),
            "shift_id": shift_id or str(uuid.uuid4()), "customer_id": None, "currency": "PLN", "lines": lines,
            "vat": [{"vat_group": "A", "vat_rate_bp": 2300, "gross": total, "vat": round(total * 23 / 123)}],
            "payments": [{"method": "card", "amount": total, "reference": "", "refunded": 0}],
            "subtotal": total, "discount_total": 0, "total": total, "rounding": 0, "change": 0,
            "fiscal_status": "printed", "fiscal_number": None}


def changes(*items, start=1) -> list[dict]:
    """(entity, payload) → the push's changes, seq numbered from ``start``."""
    return [{"seq": seq, "entity": entity, "entity_id": payload.get("id") or str(uuid.uuid4()), "op": "created",
             "payload": payload} for seq, (entity, payload) in enumerate(items, start=start)]


def held_at_hq(app, code="S9") -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        s = uow.session
        store = s.scalar(select(Location.id).where(Location.code == code))
        return {"sales": set(s.scalars(select(Sale.id).where(Sale.location_id == store))),
                "totals": tuple(s.execute(select(func.count(), func.coalesce(func.sum(Sale.total), 0))
                                          .where(Sale.location_id == store)).one()),
                "lines": s.scalar(select(func.count()).select_from(SaleLine).join(Sale).where(
                    Sale.location_id == store)),
                "moved": s.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                    StockMovement.location_id == store)),
                "on_hand": s.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                    StockLevel.location_id == store)),
                "applied": set(s.scalars(select(AppliedChange.seq).where(AppliedChange.location_id == store))),
                "quarantined": {row.seq: row for row in s.scalars(select(QuarantinedChange).where(
                    QuarantinedChange.location_id == store))},
                "through": s.scalar(select(StoreContact.applied_through).where(StoreContact.location_id == store))}


def refused_fields(answer: dict) -> dict[int, tuple[int, str]]:
    return {item["seq"]: (item["problem"]["status"], item["problem"]["invalid_params"][0]["name"])
            for item in answer["refused"]}


def test_each_change_is_checked_alone_and_the_rest_of_the_batch_goes_in_once(hq):
    client, headers = hq.test_client(), register_store(hq)
    products = some_products(hq)
    good = [a_sale(products, 1), a_sale(products, 2)]
    text_quantity = a_sale(products, 3)
    text_quantity["lines"][1]["quantity"] = "2"
    beyond_bigint = a_sale(products, 2 ** 70)
    short_total = a_sale(products, 4)
    short_total["total"] -= 1
    batch = changes(("sale", good[0]), ("sale", text_quantity), ("sale", beyond_bigint),
                    ("return", {"id": str(uuid.uuid4())}), ("sale", short_total),
                    ("shift", {"id": str(uuid.uuid4()), "terminal": "T1", "currency": "PLN", "status": "closed",
                               "opening_float": 10 ** 30, "opened_at": "2026-12-03T08:00:00+00:00"}),
                    ("sale", good[1]),
                    ("day_report", {"id": str(uuid.uuid4()), "terminal": "T1", "number": 1,
                                    "created_at": "2026-12-03T20:00:00+00:00", "created_by": str(uuid.uuid4()),
                                    "cash_total": 2 ** 80}))

    answer = client.post("/api/v1/sync/push", json={"changes": batch}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["through"] == 8 and body["applied"] == 2 and body["quarantined"] == 6
    assert refused_fields(body) == {
        2: (422, "changes[1].payload.lines[1].quantity"), 3: (422, "changes[2].payload.receipt_number"),
        4: (422, "changes[3].payload.sale_id"), 5: (422, "changes[4].payload.total"),
        6: (422, "changes[5].payload.opening_float"), 8: (422, "changes[7].payload.cash_total")}
    assert "subtotal less discounts" in body["refused"][3]["problem"]["detail"]
    held = held_at_hq(hq)
    assert held["sales"] == {uuid.UUID(sale["id"]) for sale in good}  # the good ones, around the bad ones
    assert held["lines"] == 6 and held["moved"] == held["on_hand"] == -2 * 6
    assert held["applied"] == {1, 7} and held["through"] == 8
    assert set(held["quarantined"]) == {2, 3, 4, 5, 6, 8}
    assert all(row.status == "held" for row in held["quarantined"].values())
    assert held["quarantined"][3].payload["receipt_number"] == 2 ** 70  # kept as the store sent it

    again = client.post("/api/v1/sync/push", json={"changes": batch}, headers=headers).get_json()
    assert again["applied"] == 0 and again["duplicates"] == 2  # the store missed the answer and sent it again
    assert [a["quarantine_id"] for a in again["refused"]] == [a["quarantine_id"] for a in body["refused"]]
    held = held_at_hq(hq)
    assert held["totals"] == (2, sum(sale["total"] for sale in good)) and held["lines"] == 6
    assert {row.times_received for row in held["quarantined"].values()} == {2}


def test_a_reused_receipt_number_is_quarantined_and_the_others_of_its_batch_go_in(hq):
    client, headers = hq.test_client(), register_store(hq)
    products = some_products(hq, 1)
    first = a_sale(products, 7)
    assert client.post("/api/v1/sync/push", json={"changes": changes(("sale", first))},
                       headers=headers).get_json()["applied"] == 1
    reused, fine, twice = a_sale(products, 7), a_sale(products, 8), a_sale(products, 8)
    answer = client.post("/api/v1/sync/push", json={"changes": changes(("sale", reused), ("sale", fine),
                                                                       ("sale", twice), start=2)}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["applied"] == 1
    assert refused_fields(body) == {2: (409, "changes[0].payload.receipt_number"),
                                    4: (409, "changes[2].payload.receipt_number")}
    assert first["id"] in body["refused"][0]["problem"]["detail"]
    assert held_at_hq(hq)["sales"] == {uuid.UUID(first["id"]), uuid.UUID(fine["id"])}


def test_a_payload_postgresql_cannot_store_is_still_quarantined(hq):
    client, headers = hq.test_client(), register_store(hq)
    products = some_products(hq, 1)
    nul = a_sale(products, 1)
    nul["lines"][0]["name"] = "Mleko\x00"
    customer = {"id": str(uuid.uuid4()), "name": "Jan\x00", "phone": "+48601234567"}
    fine = a_sale(products, 2)
    body = client.post("/api/v1/sync/push", json={"changes": changes(("sale", nul), ("customer", customer),
                                                                     ("sale", fine))}, headers=headers).get_json()
    assert refused_fields(body) == {1: (422, "changes[0].payload.lines[0].name"),
                                    2: (422, "changes[1].payload.name")}
    held = held_at_hq(hq)
    assert held["sales"] == {uuid.UUID(fine["id"])}
    assert held["quarantined"][2].payload["name"] == "Jan\\u0000"  # spelled out: PostgreSQL keeps no NUL


def test_a_reused_z_report_number_and_a_nul_in_the_envelope_are_quarantined_alone(hq):
    client, headers = hq.test_client(), register_store(hq)
    products = some_products(hq, 1)
    report = {"id": str(uuid.uuid4()), "terminal": "T1", "number": 1, "created_at": "2026-12-03T20:00:00+00:00",
              "created_by": str(uuid.uuid4()), "total": 900}
    first = client.post("/api/v1/sync/push", json={"changes": changes(("day_report", report))}, headers=headers)
    assert first.get_json()["applied"] == 1 and first.get_json()["refused"] == []
    fine = a_sale(products, 1)
    batch = changes(("day_report", {**report, "id": str(uuid.uuid4())}), ("delivery", {"id": "x"}),
                    ("sale", fine), start=2)
    batch[1]["entity_id"] = "d\x00"
    body = client.post("/api/v1/sync/push", json={"changes": batch}, headers=headers).get_json()
    assert refused_fields(body) == {2: (409, "changes[0].payload.number"), 3: (422, "changes[1].entity_id")}
    assert body["applied"] == 1 and body["through"] == 4
    held = held_at_hq(hq)
    assert held["sales"] == {uuid.UUID(fine["id"])} and held["applied"] == {1, 4}
    assert held["quarantined"][3].entity_id == "d\\u0000"


def test_a_group_the_database_refuses_is_rolled_back_to_its_savepoint_and_applied_one_by_one(hq):
    """Two sales name a product HQ does not know under two ids with one new SKU: written together, the two
    stand-ins collide on the SKU; one at a time, the second finds the first's by SKU.  Both go in, once."""
    client, headers = hq.test_client(), register_store(hq)
    products = some_products(hq, 1)
    sales = [a_sale(products, 1), a_sale(products, 2)]
    for sale in sales:
        sale["lines"][0].update(product_id=str(uuid.uuid4()), sku="NEW-AT-STORE", name="Nowość")
    body = client.post("/api/v1/sync/push", json={"changes": changes(*(("sale", s) for s in sales))},
                       headers=headers).get_json()
    assert body["applied"] == 2 and body["refused"] == []
    held = held_at_hq(hq)
    assert held["sales"] == {uuid.UUID(sale["id"]) for sale in sales} and held["lines"] == 2
    assert held["moved"] == held["on_hand"] == -4
