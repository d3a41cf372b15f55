"""Loyalty on marketplace orders: a paid order earns for the buyer's profile once (however often the
channel delivers it again) and a refund takes the points back, against the spec-validating fakes."""
from __future__ import annotations

from sqlalchemy import select

from pos.loyalty import services
from pos.loyalty.models import LoyaltyEntry
from sync.channels.models import MarketplaceOrder
from tests.integration.channels.test_order_lifecycle import from_the_start, outcomes, place, refund


def entries(app) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return {e.key: e.points for e in uow.session.scalars(select(LoyaltyEntry))}


def test_a_paid_marketplace_order_earns_once_and_its_refund_takes_the_points_back(hq, fakes):
    with hq.extensions["pos.db"].unit_of_work() as uow:
        services.configure(uow.session, {"points_per_unit": 1, "point_value": 1, "rolling_days": 365})
        uow.commit()
    placed = place(fakes, 2, 2)
    outcomes(hq)
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        orders = {o.channel: o for o in uow.session.scalars(select(MarketplaceOrder))}
    earned = entries(hq)
    for channel in ("allegro", "shopify"):
        order = orders[channel]
        assert earned[f"order:{channel}:{order.channel_order_id}"] == order.total // 100 > 0
    from_the_start(hq)
    outcomes(hq)  # every order delivered again: nothing earns twice
    assert entries(hq) == earned
    refund(fakes, placed)
    outcomes(hq)
    after = entries(hq)
    for channel in ("allegro", "shopify"):
        order_id = orders[channel].channel_order_id
        assert after[f"refund:{channel}:{order_id}"] == -earned[f"order:{channel}:{order_id}"]
        with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
            assert services.summary(uow.session, orders[channel].customer_id)["balance"] >= 0
