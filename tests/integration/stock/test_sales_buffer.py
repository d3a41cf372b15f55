"""HQ promises a store's units only within what the store confirmed, less a buffer sized by how long HQ has
heard nothing from it and how fast it sells: ⌈units sold in the window × unheard seconds / window⌉ per SKU.
The figures are HQ's view of store S1 (role hq), on SQLite and PostgreSQL; a reservation, the availability
API and the published feed all keep the same buffer back."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.problems import ApiProblem
from pos.stock.models import ChannelAvailability
from pos.stock.services import record_movements
from pos.stores.models import Location
from sync.stock.availability import Freshness, availability_for_skus, publish
from sync.stock.reservations import hold
from tests.integration.stock.test_incremental_availability import sell

# HQ's view of S1: stale only after two hours, so the buffer is what keeps units back in between.
AT_HQ = Freshness(role="hq", own_store="HQ", stale_seconds=7200, stale_share_percent=0, grace_seconds=60,
                  rate_window_seconds=4 * 3600)


def two_pieces_skus(app) -> tuple[str, str]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        fast, slow = uow.session.scalars(select(Product.sku).where(Product.unit == "pcs").order_by(Product.sku)
                                         .limit(2)).all()
    return fast, slow


def heard_from_s1(app, seconds_ago: int) -> None:
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Location).where(Location.code == "S1")
                            .values(last_heard_at=utcnow() - dt.timedelta(seconds=seconds_ago)))
        uow.commit()


def receive(app, sku: str, quantity: int) -> None:
    with app.extensions["pos.db"].unit_of_work() as uow:
        s1 = uow.session.scalar(select(Location.id).where(Location.code == "S1"))
        product = uow.session.scalar(select(Product.id).where(Product.sku == sku))
        record_movements(uow.session, s1, [(product, quantity)], "receipt")
        uow.commit()


def offered(app, *skus) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        items, _unknown = availability_for_skus(uow.session, AT_HQ, "webshop", list(skus))
    return {item["sku"]: item["available"] for item in items}


def published(app, *skus) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return dict(uow.session.execute(select(Product.sku, ChannelAvailability.available)
                                        .join(Product, Product.id == ChannelAvailability.product_id)
                                        .where(ChannelAvailability.channel == "webshop", Product.sku.in_(skus))).all())


def reserve(app, sku: str, quantity: int):
    with app.extensions["pos.db"].unit_of_work() as uow:
        reservation = hold(uow.session, AT_HQ, "webshop", str(uuid.uuid4()), 900, [{"sku": sku, "quantity": quantity}])
        uow.commit()
    return reservation


@pytest.fixture
def fast_and_slow(app, till):
    """Both SKUs confirmed at 99 on hand; in the last hours S1 sold 20 of the fast one and 1 of the slow one."""
    fast, slow = two_pieces_skus(app)
    sell(till, fast, 20)
    sell(till, slow, 1)
    receive(app, fast, 19)
    return fast, slow


def test_a_fast_seller_at_a_late_store_offers_fewer_units_than_a_slow_one(app, fast_and_slow):
    fast, slow = fast_and_slow
    heard_from_s1(app, 60 + 1800)  # half an hour past the grace
    # fast: ⌈20 × 1800 / 14400⌉ = ⌈2.5⌉ = 3 kept back; slow: ⌈1 × 1800 / 14400⌉ = 1
    assert offered(app, fast, slow) == {fast: 96, slow: 98}
    publish(app.extensions["pos.db"], AT_HQ)
    assert published(app, fast, slow) == {fast: 96, slow: 98}

    with pytest.raises(ApiProblem) as refused:
        reserve(app, fast, 97)
    assert refused.value.extra["short"] == [{"sku": fast, "requested": 97, "available": 96}]
    assert reserve(app, fast, 96).status == "held"
    assert offered(app, fast) == {fast: 0}


def test_a_fresh_store_offers_everything_it_confirmed_but_its_holds(app, fast_and_slow):
    fast, slow = fast_and_slow
    heard_from_s1(app, 30)  # within the grace: its sales are all at HQ
    reserve(app, fast, 5)
    assert offered(app, fast, slow) == {fast: 94, slow: 99}


def test_the_published_figures_follow_the_buffer_as_the_store_goes_quiet_and_comes_back(app, fast_and_slow):
    fast, slow = fast_and_slow
    db = app.extensions["pos.db"]
    heard_from_s1(app, 0)
    publish(db, AT_HQ)
    assert published(app, fast, slow) == {fast: 99, slow: 99}
    heard_from_s1(app, 60 + 3600)  # an hour quiet, no level moved: the round still recomputes what S1 sells
    publish(db, AT_HQ)
    assert published(app, fast, slow) == {fast: 99 - 5, slow: 99 - 1}  # ⌈20 × 3600 / 14400⌉ = 5, ⌈0.25⌉ = 1
    heard_from_s1(app, 0)  # its changes arrived: nothing kept back any more
    publish(db, AT_HQ)
    assert published(app, fast, slow) == {fast: 99, slow: 99}
    assert offered(app, fast, slow) == published(app, fast, slow)
