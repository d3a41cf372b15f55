"""A Czech store: CZK, 21/12/0 VAT, cash rounded to whole crowns."""
import pytest

from tests.conftest import login, make_test_app, seed_store
from tests.integration.test_selling import new_basket


@pytest.fixture
def czech_till(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path, POS_COUNTRY="CZ", POS_STORE_CODE="P1")
    seed_store(app, pin_hashes, product_count=20)
    api = login(app.test_client())
    api.post("/api/v1/shifts", json={"opening_float": 100000})
    yield api
    app.extensions["pos.db"].dispose()


def test_czech_cash_is_rounded_to_whole_crowns(czech_till):
    basket = new_basket(czech_till)
    body = czech_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000000", "quantity": 1}).get_json()
    assert body["currency"] == "CZK"
    assert {v["vat_rate_bp"] for v in body["vat"]} <= {2100, 1200, 0}
    total = body["total"]
    due = (total + 50) // 100 * 100
    sale = czech_till.post(f"/api/v1/baskets/{basket}/checkout",
                           json={"payments": [{"method": "cash", "amount": due + 1000}]}).get_json()
    assert sale["rounding"] == due - total
    assert sale["to_pay"] == due
    assert sale["change"] == 1000
    assert sum(v["gross"] for v in sale["vat"]) == total  # rounding stays outside VAT


def test_what_a_czech_till_sells_passes_hqs_checks_of_a_pushed_sale(czech_till, database_url, tmp_path):
    """Discounts on a line and on the basket, mixed VAT groups, cash rounded with change, a card and cash
    split, and a basket discounted to nothing (paid with a coin, all of it change): the feed's sale documents add up the way HQ checks them."""
    from sqlalchemy import create_engine, select

    from pos.feed.models import Change
    from sync.replication.checks import check_sale

    skus = ["SKU-000000", "SKU-000001", "SKU-000002", "SKU-000003"]
    baskets = []
    for payments in ("cash", "split", "free"):
        basket = new_basket(czech_till)
        for sku in skus:
            body = czech_till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": 3}).get_json()
        line = body["lines"][0]["id"]
        boss = {"login": "boss", "pin": "9999"}
        assert czech_till.put(f"/api/v1/baskets/{basket}/lines/{line}/discount",
                              json={"percent": 7.5, "approval": boss}).status_code == 200
        body = czech_till.put(f"/api/v1/baskets/{basket}/discount", json={
            "percent": 100, "approval": boss} if payments == "free" else {"amount": 1234, "approval": boss}).get_json()
        baskets.append((basket, payments, body["total"]))
    assert len({v["vat_rate_bp"] for v in body["vat"]}) >= 1
    for basket, payments, total in baskets:
        tenders = {"cash": [{"method": "cash", "amount": total + 777}],
                   "split": [{"method": "card", "amount": total // 2}, {"method": "cash", "amount": total}],
                   "free": [{"method": "cash", "amount": 100}]}[payments]
        answer = czech_till.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": tenders})
        assert answer.status_code == 201, answer.get_json()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        documents = list(connection.scalars(select(Change.payload).where(Change.entity == "sale")))
    engine.dispose()
    assert len(documents) == 3 and any(d["rounding"] for d in documents) and any(d["total"] == 0 for d in documents)
    for document in documents:
        check_sale(document, "payload", "P1")  # raises InvalidPayload naming the field if it did not add up
