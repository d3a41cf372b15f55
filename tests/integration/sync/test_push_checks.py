"""HQ refuses a pushed sale whose payload would not fit, naming the field, and writes nothing of that batch;
the corrected batch then goes in once (SQLite and PostgreSQL at HQ: COPY on one, executemany on the other)."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.sales.models import Sale, SaleLine
from pos.stock.models import StockLevel, StockMovement
from pos.stores.models import AppliedChange, Location
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


def a_sale(products, receipt_number: int) -> dict:
    lines = [{"id": str(uuid.uuid4()), "position": i, "product_id": str(p.id), "sku": p.sku, "name": p.name,
              "unit": "pcs", "quantity": 2, "unit_price": 150, "gross": 300, "discount": 0, "amount": 300,
              "vat_group": p.vat_group, "vat_rate_bp": 2300, "returned_quantity": 0}
             for i, p in enumerate(products, start=1)]
    total = 300 * len(lines)
    return {"id": str(uuid.uuid4()), "store": "S9", "terminal": "T1", "receipt_number": receipt_number,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(), "cashier_id": str(uuid.uuid4()),
            "shift_id": str(uuid.uuid4()), "customer_id": None, "currency": "PLN", "lines": lines,
            "vat": [{"vat_group": "A", "vat_rate_bp": 2300, "gross": total, "vat": 56 * len(lines)}],
            "payments": [{"method": "card", "amount": total, "reference": "", "refunded": 0}],
            "subtotal": total, "discount_total": 0, "total": total, "rounding": 0, "change": 0,
            "fiscal_status": "printed", "fiscal_number": None}


def held_at_hq(app) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        s = uow.session
        store = s.scalar(select(Location.id).where(Location.code == "S9"))
        return {"totals": tuple(s.execute(select(func.count(), func.coalesce(func.sum(Sale.total), 0))
                                          .where(Sale.location_id == store)).one()),
                "lines": s.scalar(select(func.count()).select_from(SaleLine).join(Sale).where(
                    Sale.location_id == store)),
                "moved": s.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                    StockMovement.location_id == store)),
                "on_hand": s.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                    StockLevel.location_id == store)),
                "applied": s.scalar(select(func.count()).select_from(AppliedChange).where(
                    AppliedChange.location_id == store))}


def test_a_malformed_sale_is_refused_by_field_and_the_corrected_batch_goes_in_once(hq):
    client, headers = hq.test_client(), register_store(hq)
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        products = list(uow.session.scalars(select(Product).where(Product.unit == "pcs").limit(3)))
    sales = [a_sale(products, n) for n in (1, 2, 3)]
    batch = [{"seq": n, "entity": "sale", "entity_id": sale["id"], "payload": sale}
             for n, sale in enumerate(sales, start=1)]
    sales[2]["lines"][1]["quantity"] = "2"

    refused = client.post("/api/v1/sync/push", json={"changes": batch}, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    problem = refused.get_json()
    assert problem["invalid_params"][0]["name"] == "changes[2].payload.lines[1].quantity"
    assert "integer" in problem["detail"]
    assert held_at_hq(hq)["totals"] == (0, 0) and held_at_hq(hq)["applied"] == 0  # nothing of the batch

    del sales[0]["shift_id"]
    missing = client.post("/api/v1/sync/push", json={"changes": batch}, headers=headers)
    assert missing.status_code == 422
    assert missing.get_json()["invalid_params"][0]["name"] == "changes[0].payload.shift_id"

    sales[0]["shift_id"] = str(uuid.uuid4())
    sales[2]["lines"][1]["quantity"] = 2
    for attempt in ("first", "again"):
        answer = client.post("/api/v1/sync/push", json={"changes": batch}, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["applied"] == (3 if attempt == "first" else 0)
    held = held_at_hq(hq)
    assert held["totals"] == (3, sum(sale["total"] for sale in sales))
    assert held["lines"] == 9 and held["applied"] == 3
    assert held["moved"] == held["on_hand"] == -2 * 9  # each line's 2 pieces left the store, once
