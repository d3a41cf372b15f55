"""Reservations, availability and orders through the web-shop API, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.integration.stock.conftest import Shop, check_stock, make_key

SKU = "SKU-000001"


def test_reserve_lowers_availability_and_refuses_what_is_not_there(shop):
    assert shop.available(SKU) == 100
    held = shop.reserve([(SKU, 60), ("SKU-000002", 1)])
    assert held.status_code == 201, held.get_json()
    body = held.get_json()
    assert body["status"] == "held" and body["expires_at"]
    assert shop.available(SKU) == 40
    refused = shop.reserve([(SKU, 41), ("SKU-000002", 1)])
    assert refused.status_code == 409
    problem = refused.get_json()
    assert refused.mimetype == "application/problem+json"
    assert problem["short"] == [{"sku": SKU, "requested": 41, "available": 40}]
    assert shop.available("SKU-000002") == 99  # all or nothing: the good line was not held
    check_stock(shop.client.application)


def test_commit_release_and_fulfil_move_the_promises(shop, app):
    first = shop.reserve([(SKU, 5)]).get_json()
    second = shop.reserve([(SKU, 3)]).get_json()
    committed = shop.post(f"/api/v1/reservations/{first['id']}/commit", {"order_id": "WEB-1"})
    assert committed.status_code == 200 and committed.get_json()["status"] == "committed"
    released = shop.post(f"/api/v1/reservations/{second['id']}/release")
    assert released.get_json()["status"] == "released"
    assert shop.available(SKU) == 95
    again = shop.post(f"/api/v1/reservations/{second['id']}/commit", {"order_id": "WEB-2"})
    assert again.status_code == 409 and again.get_json()["reservation_status"] == "released"
    fulfilled = shop.post(f"/api/v1/reservations/{first['id']}/fulfil")
    assert fulfilled.get_json()["status"] == "fulfilled"
    assert shop.available(SKU) == 95
    from pos.stock.models import StockLevel
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        levels = uow.session.scalars(select(StockLevel)).all()
        row = [l for l in levels if l.on_hand == 95]
        assert len(row) == 1 and row[0].reserved == 0 and row[0].committed == 0
    check_stock(app)


def test_expired_reservations_are_released_by_the_worker_job(shop, app):
    from sync.stock.jobs import expire_reservations
    from sync.stock.reservations import expire_due

    held = shop.reserve([(SKU, 7)], ttl=60).get_json()
    assert shop.available(SKU) == 93
    assert "0 reservation(s) expired" in expire_reservations(app)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=61)
    with app.extensions["pos.db"].unit_of_work() as uow:
        assert expire_due(uow.session, now=later) == 1
        uow.commit()
    assert shop.available(SKU) == 100
    read = shop.get(f"/api/v1/reservations/{held['id']}").get_json()
    assert read["status"] == "expired"
    late = shop.post(f"/api/v1/reservations/{held['id']}/commit", {"order_id": "LATE"})
    assert late.status_code == 409
    check_stock(app)


def test_idempotency_key_replays_and_refuses_another_body(shop):
    body = {"channel": "webshop", "reference": "cart-1", "ttl_seconds": 300, "lines": [{"sku": SKU, "quantity": 2}]}
    first = shop.post("/api/v1/reservations", body, key="k-1")
    replay = shop.post("/api/v1/reservations", body, key="k-1")
    assert first.status_code == replay.status_code == 201
    assert replay.get_json() == first.get_json() and replay.headers["Idempotent-Replayed"] == "true"
    assert shop.available(SKU) == 98
    other = shop.post("/api/v1/reservations", {**body, "ttl_seconds": 301}, key="k-1")
    assert other.status_code == 422 and other.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"
    missing = shop.client.post("/api/v1/reservations", json=body, headers=shop.headers())
    assert missing.status_code == 422 and "Idempotency-Key" in missing.get_json()["detail"]


def test_keys_and_scopes(app, client):
    reader = Shop(client, make_key(app, "reader", ["availability:read"]))
    assert reader.available(SKU) == 100
    assert reader.reserve([(SKU, 1)]).status_code == 403
    stranger = Shop(client, "pos_not-a-key")
    assert stranger.get(f"/api/v1/availability?channel=webshop&sku={SKU}").status_code == 401


def test_channel_buffer_share_cap_and_safety_stock(shop, app, till):
    from sync.stock.channels import configure_channel
    with app.extensions["pos.db"].unit_of_work() as uow:
        configure_channel(uow.session, "allegro", buffer=10, share_percent=50, cap=30)
        uow.commit()
    assert shop.available(SKU, "allegro") == 30  # min(30, (100 − 10) × 50 %)
    assert shop.available(SKU, "ebay") == 99  # default marketplace buffer of one
    assert shop.available(SKU, "collect:S1") == 100
    response = till.put("/api/v1/stock/safety", json={"location": "S1", "sku": SKU, "quantity": 20})
    assert response.status_code == 200, response.get_json()
    assert shop.available(SKU) == 80
    assert shop.reserve([(SKU, 81)]).status_code == 409
    unknown = shop.get(f"/api/v1/availability?channel=nowhere&sku={SKU}")
    assert unknown.status_code == 404


def test_stale_store_contributes_nothing_until_it_syncs(app, client, pin_hashes, tmp_path, database_url):
    """At HQ a store that has not synced within POS_STALE_STORE_SECONDS is left out of online ATS."""
    from pos.stores.models import Location
    from tests.conftest import make_test_app
    hq = make_test_app(database_url, tmp_path, POS_ROLE="hq", POS_STALE_STORE_SECONDS=900)
    shop = Shop(hq.test_client(), make_key(app))
    db = app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        store = uow.session.scalars(select(Location).where(Location.code == "S1")).one()
        store.last_heard_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=901)
        uow.commit()
    assert shop.available(SKU) == 0
    assert shop.reserve([(SKU, 1)]).status_code == 409
    with db.unit_of_work() as uow:
        uow.session.scalars(select(Location).where(Location.code == "S1")).one().last_heard_at = \
            dt.datetime.now(dt.timezone.utc)
        uow.commit()
    assert shop.available(SKU) == 100
    half = make_test_app(database_url, tmp_path, POS_ROLE="hq", POS_STALE_STORE_SHARE_PERCENT=50)
    with db.unit_of_work() as uow:
        uow.session.scalars(select(Location).where(Location.code == "S1")).one().last_heard_at = None
        uow.commit()
    assert Shop(half.test_client(), shop.key).available(SKU) == 50
    hq.extensions["pos.db"].dispose()
    half.extensions["pos.db"].dispose()


def test_web_order_finds_or_creates_the_customer_and_commits_the_reservation(shop, app):
    from pos.customers.models import Customer, CustomerEvent
    held = shop.reserve([(SKU, 2)]).get_json()
    order = {"order_id": "WEB-100", "channel": "webshop", "currency": "PLN",
             "customer": {"email": " Ola@Example.PL ", "phone": "601 234 567", "name": "Ola"},
             "lines": [{"sku": SKU, "quantity": 2, "unit_price": 1299}], "reservation_id": held["id"],
             "delivery": {"method": "collect", "store": "S1"}}
    created = shop.post("/api/v1/orders", order)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["customer_created"] is True and body["total"] == 2598
    assert body["reservation"]["status"] == "committed"
    second = shop.post("/api/v1/orders", {**order, "order_id": "WEB-101", "reservation_id": None,
                                          "customer": {"phone": "+48601234567"}})
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["customer_id"] == body["customer_id"]
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        customer = uow.session.scalars(select(Customer)).one()
        assert customer.email == "ola@example.pl" and customer.phone == "+48601234567"
        events = uow.session.scalars(select(CustomerEvent).where(CustomerEvent.kind == "order")).all()
        assert sorted(e.reference for e in events) == ["WEB-100", "WEB-101"]
    check_stock(app)


def test_availability_change_feed_is_cursor_paged(shop, app, till):
    from sync.stock.jobs import publish_availability
    publish_availability(app)
    first = shop.get("/api/v1/availability/changes?channel=webshop&since=0&limit=50").get_json()
    assert len(first["items"]) == 50 and first["has_more"]
    cursor = first["next_cursor"]
    rest = shop.get(f"/api/v1/availability/changes?channel=webshop&since={cursor}&limit=1000").get_json()
    assert len(first["items"]) + len(rest["items"]) == 60 and not rest["has_more"]
    cursor = rest["next_cursor"]
    shop.reserve([(SKU, 4)])
    till.post("/api/v1/stock/receipts", json={"lines": [{"sku": "SKU-000003", "quantity": 5}]})
    publish_availability(app)
    news = shop.get(f"/api/v1/availability/changes?channel=webshop&since={cursor}").get_json()
    assert {(i["sku"], i["available"], i["previous"]) for i in news["items"]} == {
        (SKU, 96, 100), ("SKU-000003", 105, 100)}
    assert "0 availability change(s)" == publish_availability(app)
