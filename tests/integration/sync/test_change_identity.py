"""HQ knows a store's change by its own id, never by a seq a restored store hands out again; a store's epoch is
introduced before its changes, and HQ answers with what it holds so the store continues above it."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.sales.models import Sale
from pos.stores.models import AppliedChange, StoreEpoch
from tests.integration.sync.test_push_checks import a_sale, hq, register_store  # noqa: F401 (fixture)


def change(sale: dict, seq: int, change_id=None) -> dict:
    return {"id": str(change_id or uuid.uuid4()), "seq": seq, "entity": "sale", "entity_id": sale["id"],
            "payload": sale}


def counts(app) -> tuple[int, int]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return (uow.session.scalar(select(func.count()).select_from(Sale)),
                uow.session.scalar(select(func.count()).select_from(AppliedChange)))


def test_changes_are_known_by_their_ids_and_epochs_learn_what_hq_holds(hq):  # noqa: F811
    client, headers = hq.test_client(), register_store(hq)
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        products = list(uow.session.scalars(select(Product).where(Product.unit == "pcs").limit(2)))
    first_life, second_life = uuid.uuid4(), uuid.uuid4()

    hello = client.post("/api/v1/sync/hello", json={"epoch": str(first_life)}, headers=headers)
    assert hello.status_code == 200, hello.get_json()
    assert hello.get_json() == {"epoch": str(first_life), "seq": 0, "receipt_numbers": {}, "day_report_numbers": {}}

    before, after_restore = a_sale(products, 1), a_sale(products, 2)
    stranger = client.post("/api/v1/sync/push", json={"changes": [change(before, 1)], "epoch": str(second_life)},
                           headers=headers)
    assert stranger.status_code == 409 and stranger.get_json()["type"].endswith("/epoch-unknown")
    assert counts(hq) == (0, 0)  # nothing of a life HQ was not introduced to

    kept = change(before, 1)
    pushed = client.post("/api/v1/sync/push", json={"changes": [kept], "epoch": str(first_life)}, headers=headers)
    assert pushed.status_code == 200 and pushed.get_json()["applied"] == 1
    again = client.post("/api/v1/sync/push", json={"changes": [kept], "epoch": str(first_life)}, headers=headers)
    assert again.get_json()["applied"] == 0 and again.get_json()["duplicates"] == 1

    restored = client.post("/api/v1/sync/hello", json={"epoch": str(second_life), "reason": "restored"},
                           headers=headers)
    assert restored.get_json() == {"epoch": str(second_life), "seq": 1, "receipt_numbers": {"T1": 1},
                                   "day_report_numbers": {}}
    # The restored database hands out seq 1 again, for a new sale: HQ applies it, it is not the old change.
    reused = client.post("/api/v1/sync/push", json={"changes": [change(after_restore, 1)], "epoch": str(second_life)},
                         headers=headers)
    assert reused.status_code == 200 and reused.get_json()["applied"] == 1
    assert counts(hq) == (2, 2)
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        epochs = dict(uow.session.execute(select(StoreEpoch.id, StoreEpoch.reason)).all())
    assert epochs == {first_life: "created", second_life: "restored"}

    other = register_store(hq, "S8")
    taken = client.post("/api/v1/sync/hello", json={"epoch": str(first_life)}, headers=other)
    assert taken.status_code == 409 and taken.get_json()["invalid_params"][0]["name"] == "epoch"
    bad = client.post("/api/v1/sync/hello", json={"epoch": "not-a-uuid"}, headers=headers)
    assert bad.status_code == 422
