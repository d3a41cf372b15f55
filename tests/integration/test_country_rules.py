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
