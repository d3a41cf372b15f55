"""Availability is incremental: a moved level leaves a mark in its own transaction, a round recomputes
only what is marked (or a whole channel whose rule changed), and its figures equal a full recompute."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.problems import ApiProblem
from pos.stock.models import ChannelAvailability, StockLevelMark
from pos.stock.services import record_movements
from pos.stores.models import Location
from sync.stock.availability import (Freshness, channel_availability, location_weights, plan_round, publish,
                                     request_full_recompute)
from sync.stock.channels import channel_codes, channel_rule, configure_channel
from sync.stock.jobs import publish_availability


def marks(app) -> list[tuple]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return [(row.location_id, row.product_id) for row in uow.session.scalars(
            select(StockLevelMark).order_by(StockLevelMark.seq))]


def store_and_products(app, skus):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        store = uow.session.scalars(select(Location.id).where(Location.code == "S1")).one()
        ids = dict(uow.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
    return store, [ids[sku] for sku in skus]


def sell(till, sku, quantity=1):
    basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
    line = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": quantity}).get_json()
    sale = till.post(f"/api/v1/baskets/{basket}/checkout",
                     json={"payments": [{"method": "card", "amount": line["total"]}]})
    assert sale.status_code == 201, sale.get_json()


def freshness(app) -> Freshness:
    return Freshness.from_config(app.config)


def plan(app, full=False):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return plan_round(uow.session, freshness(app), utcnow(), full)


def published(app) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return {(row.channel, row.product_id): row.available for row in uow.session.scalars(select(ChannelAvailability))}


def recomputed_in_full(app) -> dict:
    """Every channel's ATS the old way: every product, straight from the levels, nothing remembered."""
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        session = uow.session
        weights = location_weights(session, freshness(app))
        return {(code, pid): value for code in channel_codes(session)
                for pid, value in channel_availability(session, channel_rule(session, code), weights).items()}


def assert_published_equals_full(app):
    now, full = published(app), recomputed_in_full(app)
    assert {k: v for k, v in now.items() if v or k in full} == {k: v for k, v in full.items() if v or k in now}
    assert all(value >= 0 for value in now.values())


def test_a_sale_marks_its_level_in_its_own_transaction_and_a_rolled_back_one_marks_nothing(app, till):
    publish_availability(app)
    assert marks(app) == []
    store, (first, second) = store_and_products(app, ["SKU-000001", "SKU-000002"])
    sell(till, "SKU-000001", 2)
    assert marks(app) == [(store, first)]
    with app.extensions["pos.db"].unit_of_work() as uow:
        record_movements(uow.session, store, [(second, -1)], "sale")
        uow.rollback()
    assert marks(app) == [(store, first)]


def test_a_round_recomputes_only_the_marked_products_and_clears_their_marks(app, till):
    publish_availability(app)
    store, (first,) = store_and_products(app, ["SKU-000001"])
    sell(till, "SKU-000001", 3)
    round_plan = plan(app)
    assert {code: ids for code, ids in round_plan.products.items()} == {code: {first} for code in round_plan.rules}
    assert set(round_plan.levels) == {first}
    changes = publish(app.extensions["pos.db"], freshness(app))
    assert {(c.channel, c.sku) for c in changes} == {(code, "SKU-000001") for code in round_plan.rules}
    assert {c.available for c in changes if c.channel == "webshop"} == {97}
    assert marks(app) == []
    assert publish(app.extensions["pos.db"], freshness(app)) == []
    assert_published_equals_full(app)


def test_a_rule_change_or_a_request_recomputes_in_full(app):
    db = app.extensions["pos.db"]
    publish_availability(app)
    with db.unit_of_work() as uow:
        configure_channel(uow.session, "webshop", buffer=10)
        uow.commit()
    round_plan = plan(app)
    with db.unit_of_work(read_only=True) as uow:
        stocked = set(uow.session.scalars(select(Product.id)))
    assert round_plan.products["webshop"] == stocked
    assert all(not ids for code, ids in round_plan.products.items() if code != "webshop")
    changes = publish(db, freshness(app))
    assert {c.channel for c in changes} == {"webshop"} and len(changes) == len(stocked)
    assert_published_equals_full(app)
    with db.unit_of_work() as uow:
        request_full_recompute(uow.session)
        uow.commit()
    assert all(ids == stocked for ids in plan(app).products.values())
    assert publish(db, freshness(app)) == []  # the same figures: nothing to tell anyone



def test_an_operator_can_recompute_everything_now_from_the_command_line(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sync", "availability"])
    assert first.exit_code == 0 and first.output.strip() == "360 availability change(s)"  # 60 SKUs x 6 channels
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(ChannelAvailability.__table__.update().values(available=1))  # published figures gone wrong
        uow.commit()
    assert runner.invoke(args=["sync", "availability"]).output.strip() == "0 availability change(s)"
    again = runner.invoke(args=["sync", "availability", "--full"])
    assert again.exit_code == 0 and again.output.strip() == "360 availability change(s)"
    assert_published_equals_full(app)

def test_a_sale_while_the_round_works_keeps_its_mark_for_the_next_round(app, till):
    db = app.extensions["pos.db"]
    publish_availability(app)
    store, (first, second) = store_and_products(app, ["SKU-000001", "SKU-000002"])
    sell(till, "SKU-000001")
    changes = publish(db, freshness(app), after_read=lambda: sell(till, "SKU-000002", 5))
    assert {c.sku for c in changes} == {"SKU-000001"}
    assert marks(app) == [(store, second)]
    later = publish(db, freshness(app))
    assert {(c.channel, c.available) for c in later if c.sku == "SKU-000002"} >= {("webshop", 95)}
    assert marks(app) == []
    assert_published_equals_full(app)


def test_a_round_that_read_before_another_publisher_wrote_writes_nothing(app, till):
    db = app.extensions["pos.db"]
    publish_availability(app)
    sell(till, "SKU-000001")

    def newer_round_meanwhile():
        sell(till, "SKU-000001")
        assert {c.available for c in publish(db, freshness(app)) if c.channel == "webshop"} == {98}

    assert publish(db, freshness(app), after_read=newer_round_meanwhile) == []
    assert published(app)[("webshop", store_and_products(app, ["SKU-000001"])[1][0])] == 98
    assert_published_equals_full(app)


OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["sale", "receipt", "warehouse", "safety", "reserve", "release", "rule", "stale", "fresh"]),
    st.integers(0, 3), st.integers(1, 40)), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(OPERATIONS, min_size=1, max_size=4))
def test_incremental_rounds_publish_the_same_figures_as_a_full_recompute(hq, rounds):
    from sync.stock import reservations

    app, db = hq
    with db.unit_of_work(read_only=True) as uow:
        locations = dict(uow.session.execute(select(Location.code, Location.id)).all())
        products = list(uow.session.scalars(select(Product.id).order_by(Product.sku).limit(4)))
        skus = dict(uow.session.execute(select(Product.id, Product.sku)).all())
    for operations in rounds:
        for what, index, quantity in operations:
            product = products[index]
            with db.unit_of_work() as uow:
                session = uow.session
                if what == "sale":
                    try:
                        record_movements(session, locations["S1"], [(product, -quantity)], "sale")
                    except ApiProblem as refused:  # the pieces are promised to a web order: a refusal, not a change
                        assert refused.slug == "stock-promised"
                        uow.rollback()
                        continue
                elif what in ("receipt", "warehouse"):
                    record_movements(session, locations["S1" if what == "receipt" else "W1"],
                                     [(product, quantity)], "receipt")
                elif what == "safety":
                    from pos.stock.services import set_safety_stock
                    set_safety_stock(session, locations["W1"], product, quantity % 7)
                elif what == "reserve":
                    try:
                        reservations.hold(session, freshness(app), "webshop", f"r{quantity}-{utcnow().timestamp()}",
                                          600, [{"sku": skus[product], "quantity": 1}])
                    except Exception:  # nothing left to hold: a refusal, not a change
                        uow.rollback()
                        continue
                elif what == "release":
                    from pos.stock.models import Reservation
                    held = session.scalars(select(Reservation).where(Reservation.status == "held").limit(1)).first()
                    if held is not None:
                        reservations.release(session, held.id)
                elif what == "rule":
                    configure_channel(session, "allegro", buffer=quantity % 5, share_percent=50 + quantity,
                                      cap=None if quantity % 2 else quantity)
                else:
                    store = session.get(Location, locations["S2"])
                    store.last_heard_at = utcnow() - dt.timedelta(days=1 if what == "stale" else 0)
                uow.commit()
        publish_availability(app)
        assert_published_equals_full(app)
        assert marks(app) == []
        assert publish(db, freshness(app), full=True) == []


import pytest  # noqa: E402


@pytest.fixture
def hq(database_url, tmp_path, pin_hashes):
    """HQ: its store S1 and another store S2 (both heard from now) and a warehouse W1, all stocked."""
    from tests.conftest import make_test_app, seed_store

    app = make_test_app(database_url, tmp_path, POS_ROLE="hq")
    seed_store(app, pin_hashes, product_count=4)
    db = app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        session = uow.session
        session.scalars(select(Location).where(Location.code == "S1")).one().last_heard_at = utcnow()
        session.add_all([Location(code="W1", name="Warehouse", kind="warehouse", country="PL", currency="PLN"),
                         Location(code="S2", name="Store 2", kind="store", country="PL", currency="PLN",
                                  last_heard_at=utcnow())])
        uow.commit()
    with db.unit_of_work() as uow:
        ids = dict(uow.session.execute(select(Location.code, Location.id)).all())
        pids = list(uow.session.scalars(select(Product.id)))
        record_movements(uow.session, ids["W1"], [(pid, 7) for pid in pids], "receipt")
        record_movements(uow.session, ids["S2"], [(pid, 3) for pid in pids], "receipt")
        uow.commit()
    publish_availability(app)
    yield app, db
    db.dispose()
