"""A push that meets a passing database failure at HQ (a deadlock with another writer, a serialization failure, a
lock timeout) is not the change's fault: nothing of the batch is applied or quarantined, the store hears 503 and
sends the same batch again.  Found by the chain simulation: a store's sale quarantined as "HQ's database refused it:
deadlock detected" never reached HQ's books, and the store counted it as delivered."""
from __future__ import annotations

import psycopg.errors
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import sync.replication.apply as apply_module
from pos.sales.models import Sale
from sync.quarantine.models import QuarantinedChange
from tests.integration.sync.test_push_checks import a_sale, changes, hq, register_store, some_products  # noqa: F401


def test_a_deadlock_while_applying_a_push_is_answered_503_and_the_same_batch_goes_in_next_time(hq, monkeypatch):
    client, s9 = hq.test_client(), register_store(hq)
    batch = changes(("sale", a_sale(some_products(hq, 1), 1)))
    real = apply_module.apply_sales

    def deadlocked(*args, **kwargs):
        raise OperationalError("UPDATE stock_level …", {}, psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(apply_module, "apply_sales", deadlocked)
    answer = client.post("/api/v1/sync/push", json={"changes": batch}, headers=s9)
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["type"].endswith("/hq-busy")
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(QuarantinedChange)) == 0
        assert uow.session.scalar(select(func.count()).select_from(Sale)) == 0

    monkeypatch.setattr(apply_module, "apply_sales", real)
    again = client.post("/api/v1/sync/push", json={"changes": batch}, headers=s9)
    assert again.status_code == 200 and again.get_json()["applied"] == 1, again.get_json()
