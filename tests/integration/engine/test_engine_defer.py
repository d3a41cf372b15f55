"""At HQ a change and the job it causes commit together: a rollback leaves no job, a commit leaves one, and a
job already queued for the same key is shared and held back until the change that shares it has committed."""
from __future__ import annotations

from sqlalchemy import select

from pos.stock.models import StockLevel
from pos.stock.services import record_movements
from sync.engine.defer import defer


def _move_stock(session, quantity: int = 5) -> None:
    level = session.scalars(select(StockLevel).order_by(StockLevel.product_id)).first()
    record_movements(session, level.location_id, [(level.product_id, quantity)], "receipt")


def test_moved_stock_defers_the_availability_job_in_its_own_transaction(hq_app, queue):
    db = hq_app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        _move_stock(uow.session)
        assert queue.rows() == []  # not visible before the commit
        uow.rollback()
    assert queue.rows() == []  # rolled back with the change

    with db.unit_of_work() as uow:
        _move_stock(uow.session)
        uow.commit()
    jobs = queue.rows()
    assert [(j.task_name, j.status, j.lock) for j in jobs] == [
        ("publish_availability", "todo", "publish_availability")]

    with db.unit_of_work() as uow:  # a second change shares the queued job: one round will see both
        _move_stock(uow.session)
        _move_stock(uow.session)
        uow.commit()
    assert [j.id for j in queue.rows()] == [jobs[0].id]


def test_a_queued_job_shared_by_an_open_transaction_starts_only_after_it_commits(hq_app, queue):
    db = hq_app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        queued = defer(uow.session, "deliver_webhooks")
        uow.commit()
    with db.unit_of_work() as uow:
        assert defer(uow.session, "deliver_webhooks") == queued  # shared, not a second job
        assert queue.fetch() is None  # a worker cannot take it while the change is not committed
        uow.commit()
    taken = queue.fetch()
    assert (taken.id, taken.task_name) == (queued, "deliver_webhooks")
    with db.unit_of_work() as uow:  # that job is running: the next change queues its own
        assert defer(uow.session, "deliver_webhooks") not in (None, queued)
        uow.commit()


def test_keyed_jobs_per_channel_are_one_queued_per_channel(hq_app, queue):
    from sync.channels.push import defer_pushes

    db = hq_app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        defer_pushes(uow.session, {"allegro", "ebay"})
        defer_pushes(uow.session, {"allegro"})
        uow.rollback()
    assert queue.rows() == []
    with db.unit_of_work() as uow:
        defer_pushes(uow.session, {"allegro", "ebay"})
        defer_pushes(uow.session, {"allegro"})
        uow.commit()
    assert sorted((j.task_name, j.lock, j.args["channel"]) for j in queue.rows()) == [
        ("push_channel", "push_channel:allegro", "allegro"), ("push_channel", "push_channel:ebay", "ebay")]


def test_a_webhook_delivery_queued_at_hq_defers_its_delivery_job_with_it(hq_app, queue):
    from sync.webhooks.events import enqueue
    from sync.webhooks.models import WebhookSubscription
    from sync.webshop.keys import add_client

    db = hq_app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        client, _key = add_client(uow.session, "shop", ["webhooks:manage"])
        uow.session.add(WebhookSubscription(client_id=client.id, url="http://127.0.0.1:9/hook",
                                            events=["stock.changed"], secret="s", active=True))
        uow.commit()
    with db.unit_of_work() as uow:
        assert enqueue(uow.session, "stock.changed", {"sku": "A"}) == 1
        uow.rollback()
    assert queue.rows() == []
    with db.unit_of_work() as uow:
        enqueue(uow.session, "stock.changed", {"sku": "A"})
        uow.commit()
    assert [j.task_name for j in queue.rows()] == ["deliver_webhooks"]




def test_two_changes_queueing_two_keys_in_opposite_orders_neither_wait_nor_deadlock(hq_app, queue):
    from sqlalchemy import text

    db = hq_app.extensions["pos.db"]
    with db.unit_of_work() as first, db.unit_of_work() as second:
        for uow in (first, second):
            # A wait for the other's uncommitted job would fail here instead of hanging (or deadlocking).
            uow.session.execute(text("SET LOCAL lock_timeout = '5s'"))
        defer(first.session, "deliver_webhooks")
        defer(second.session, "queue_feed_events")
        defer(first.session, "queue_feed_events")
        defer(second.session, "deliver_webhooks")
        first.commit()
        second.commit()
    # Both queued at the same moment: two jobs per key, which the key's lock runs one after the other.
    assert sorted(j.task_name for j in queue.rows(status="todo")) == [
        "deliver_webhooks", "deliver_webhooks", "queue_feed_events", "queue_feed_events"]
    with db.unit_of_work() as uow:  # a later change shares the first queued one
        first_queued = min(j.id for j in queue.rows(task="deliver_webhooks"))
        assert defer(uow.session, "deliver_webhooks") == first_queued
        uow.commit()
