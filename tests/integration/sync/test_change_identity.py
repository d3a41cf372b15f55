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

    rewound = client.post("/api/v1/sync/push", json={"changes": [change(a_sale(products, 1), 1)],
                                                       "epoch": str(first_life)}, headers=headers)
    assert rewound.status_code == 409 and rewound.get_json()["type"].endswith("/store-rewound")
    assert counts(hq) == (1, 1)  # a database that went back without saying so is stopped, nothing applied

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


def test_a_store_restored_without_saying_so_is_stopped_and_starts_a_new_epoch(hq, tmp_path):  # noqa: F811
    import shutil
    import sqlite3
    from contextlib import closing

    from pos.stores.models import Terminal
    from sync.replication.pull import pull
    from sync.replication.push import push
    from tests.conftest import login, make_test_app, migrate
    from tests.integration.stock.served import served

    token = register_store(hq)["Authorization"].removeprefix("Bearer ")
    assert hq.test_cli_runner().invoke(args=["stores", "publish"]).exit_code == 0
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    migrate(url)

    def store_app(hq_url):
        return make_test_app(url, tmp_path / "store", POS_ROLE="store", POS_STORE_CODE="S9", POS_HQ_URL=hq_url,
                             POS_STORE_TOKEN=token)

    def sell(till):
        basket = till.post("/api/v1/baskets", json={}).get_json()
        line = till.post(f"/api/v1/baskets/{basket['id']}/lines", json={"sku": "SKU-000001", "quantity": 1})
        paid = till.post(f"/api/v1/baskets/{basket['id']}/checkout",
                         json={"payments": [{"method": "card", "amount": line.get_json()["total"]}]})
        assert paid.status_code == 201, paid.get_json()
        return paid.get_json()["receipt_number"]

    with served(hq) as hq_url:
        app = make_test_app(url, tmp_path / "store", POS_ROLE="store", POS_STORE_CODE="S9")
        cli = app.test_cli_runner()
        assert cli.invoke(args=["store", "create", "S9", "Sklep"]).exit_code == 0
        assert cli.invoke(args=["store", "terminal", "add", "T1"]).exit_code == 0
        app.extensions["pos.db"].dispose()
        first = store_app(hq_url)
        assert "from HQ applied" in pull(first)
        till = login(first.test_client())
        assert till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
        # each sale is two changes: the sale, and its fiscal outcome for HQ
        assert sell(till) == 1 and "2 newly applied" in push(first)
        first.extensions["pos.db"].dispose()
        backup = tmp_path / "backup.sqlite3"
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(backup)) as copy:
            source.backup(copy)
        again = store_app(hq_url)
        till = login(again.test_client())
        assert sell(till) == 2 and "2 newly applied" in push(again)
        again.extensions["pos.db"].dispose()

        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(backup, path)  # restored, and nobody ran `flask store restore-check`
        restored = store_app(hq_url)
        till = login(restored.test_client())
        assert sell(till) == 2  # the window before the first contact: this number is HQ's already
        said = push(restored)
        assert "push failed" in said and "store-rewound" in said and "confirmed by HQ" in said, said
        with restored.extensions["pos.db"].unit_of_work(read_only=True) as uow:
            current = uow.session.scalars(select(StoreEpoch).order_by(StoreEpoch.started_at.desc())).first()
            counter = uow.session.scalar(select(Terminal.last_receipt_number))
        assert current.reason == "restored" and current.confirmed_at is not None and counter == 2
        assert sell(till) == 3  # from now on above what HQ holds
        restored.extensions["pos.db"].dispose()
