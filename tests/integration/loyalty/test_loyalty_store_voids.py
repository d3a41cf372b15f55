"""A store's token voids only the points redemptions that store made (a store reaches only its own facts)."""
from __future__ import annotations

import uuid

import pytest

from pos.customers.models import Customer
from pos.loyalty import services
from tests.conftest import make_test_app
from tests.integration.giftcards.test_giftcards_hq import bearer, store_token


@pytest.fixture
def hq(postgres_url, tmp_path):
    from tests.conftest import _truncate_postgres
    _truncate_postgres(postgres_url)
    app = make_test_app(postgres_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="HQ")
    with app.extensions["pos.db"].unit_of_work() as uow:
        services.configure(uow.session, {"points_per_unit": 1, "point_value": 1, "rolling_days": 365})
        customer = Customer(name="Zofia")
        uow.session.add(customer)
        uow.session.flush()
        services._post(uow.session, services.account_for(uow.session, customer.id, create=True), "seed", "earn", 500)
        uow.commit()
        app.customer_id = str(customer.id)
    yield app
    app.extensions["pos.db"].dispose()


def test_one_store_cannot_void_another_stores_redemption(hq):
    client, s1, s2 = hq.test_client(), store_token(hq, "S1"), store_token(hq, "S2")
    spent = client.post("/api/v1/loyalty/redemptions", headers=bearer(s1, str(uuid.uuid4())),
                        json={"customer_id": hq.customer_id, "amount": 200, "currency": "PLN"})
    assert spent.status_code == 201, spent.get_json()
    redemption = spent.get_json()["id"]

    refused = client.post(f"/api/v1/loyalty/redemptions/{redemption}/void", headers=bearer(s2))
    assert refused.status_code == 404, refused.get_json()
    assert spent.get_json()["balance"] == 300

    voided = client.post(f"/api/v1/loyalty/redemptions/{redemption}/void", headers=bearer(s1))
    assert voided.status_code == 200, voided.get_json()
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert services.account_for(uow.session, uuid.UUID(hq.customer_id)).balance == 500
