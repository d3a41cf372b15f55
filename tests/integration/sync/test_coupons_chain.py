"""Coupons across the chain (HQ on PostgreSQL, stores S1 and S2 on SQLite, real processes): online a store's
till asks HQ; cut off, it takes campaign codes and the single-use codes allocated to it, refuses the rest with
a reason saying what to do, and on reconnect HQ names a per-customer limit overrun as an incident."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pos.coupons import services
from pos.coupons.models import CouponIncident, CouponRedemption
from pos.db import Database
from tests.integration.sync.chain import Till

NOW = dt.datetime.now(dt.timezone.utc)


def put_coupon(till, basket_id, code, expect=(200,)):
    answer = till.http.put(f"{till.url}/api/v1/baskets/{basket_id}/coupon", json={"code": code}, timeout=30)
    assert answer.status_code in expect, answer.text
    return answer


def sell_with(till, code, customer_id=None, sku="SKU-000001") -> dict:
    basket = till.call("POST", "/api/v1/baskets", json={"customer_id": customer_id} if customer_id else {})
    till.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": sku, "quantity": 2})
    shown = put_coupon(till, basket["id"], code).json()
    assert shown["coupon"]["applies"] and shown["discount_total"] > 0, shown
    sale = till.call("POST", f"/api/v1/baskets/{basket['id']}/checkout",
                     json={"payments": [{"method": "card", "amount": shown["total"]}]})
    assert sale["coupon"]["discount"] == shown["discount_total"]
    return sale


def test_a_store_takes_coupons_through_hq_and_by_its_own_rules_while_cut_off(chain):
    hq = Database(chain.hq_db)
    with hq.unit_of_work() as uow:
        campaign = services.create_campaign(uow.session, name="Chain promo", currency="PLN", percent_bp=1000,
                                            shared_code="CHAIN10", per_customer_limit=1,
                                            valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=9))
        vouchers = services.create_campaign(uow.session, name="Vouchers", currency="PLN", amount=300,
                                            valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=9))
        _, for_s1 = services.issue_batch(uow.session, vouchers.id, 2, store_code="S1")
        _, central = services.issue_batch(uow.session, vouchers.id, 2)
        uow.commit()
    chain.sync_all()  # the stores learn the campaign, S1 its own batch
    s1, s2 = Till(chain.stores["S1"]), Till(chain.stores["S2"])
    s1.open_shift(), s2.open_shift()

    online = sell_with(s1, central[0])  # HQ redeems it
    basket = s2.call("POST", "/api/v1/baskets", json={})
    s2.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": "SKU-000001", "quantity": 1})
    taken = put_coupon(s2, basket["id"], central[0], expect=(409,)).json()
    assert taken["reason"] == "already-redeemed"  # HQ's answer, at the other store

    chain.hq.stop()
    try:
        jan = s1.call("POST", "/api/v1/customers", json={"name": "Jan Kupon", "phone": "602 111 222"})
        sell_with(s1, "chain10", jan["id"])
        sell_with(s1, "CHAIN10", jan["id"])  # past the limit: HQ will have to hear of it
        sell_with(s1, for_s1[0])  # allocated to this store
        basket = s1.call("POST", "/api/v1/baskets", json={})
        s1.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": "SKU-000001", "quantity": 1})
        unknown = put_coupon(s1, basket["id"], central[1], expect=(503,)).json()
        assert unknown["reason"] == "offline-unknown" and "sell without it" in unknown["detail"]
        again = put_coupon(s1, basket["id"], for_s1[0], expect=(409,)).json()
        assert again["reason"] == "already-redeemed"
        nobody = put_coupon(s1, basket["id"], "CHAIN10", expect=(422,)).json()
        assert nobody["reason"] == "customer-required"
    finally:
        chain.hq.start()
    chain.sync_once("S1")

    with hq.unit_of_work(read_only=True) as uow:
        used = uow.session.execute(select(CouponRedemption.code, CouponRedemption.channel, CouponRedemption.offline)
                                   .order_by(CouponRedemption.redeemed_at)).all()
        incidents = uow.session.scalars(select(CouponIncident)).all()
    assert [tuple(row) for row in used] == [(central[0], "store:S1", False), ("CHAIN10", "store:S1", True),
                                            ("CHAIN10", "store:S1", True), (for_s1[0], "store:S1", True)]
    assert [(i.kind, i.code, i.status) for i in incidents] == [("per-customer-limit-exceeded", "CHAIN10", "open")]
    assert str(incidents[0].customer_id) == jan["id"] and online["coupon"]["code"]
    chain.sync_once("S1")  # pushed again: nothing twice
    with hq.unit_of_work(read_only=True) as uow:
        assert len(uow.session.scalars(select(CouponRedemption)).all()) == 4
    hq.dispose()
