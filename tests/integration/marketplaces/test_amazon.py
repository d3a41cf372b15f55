"""Amazon SP-API client against the fake SP-API on 127.0.0.1."""

from __future__ import annotations

import email.utils
import json
import time

import requests

from marketplaces import OrderState, QuantityUpdate


def test_small_push_patches_each_sku(amazon):
    fake, client = amazon
    for n in range(3):
        fake.add_listing(f"S{n}", 0)
    result = client.push_quantities([QuantityUpdate(f"S{n}", f"S{n}", n + 5) for n in range(3)])
    assert result.ok
    assert len([e for e in fake.exchanges if e.method == "PATCH"]) == 3
    assert client.read_quantities(["S0", "S1", "S2", "missing"]) == {"S0": 5, "S1": 6, "S2": 7}


def test_bulk_push_goes_through_one_json_listings_feed_with_per_sku_results(amazon):
    fake, client = amazon
    for n in range(40):
        fake.add_listing(f"S{n}", 0)
    fake.failing_listings["S7"] = "fulfillment_availability is locked for FBA"
    result = client.push_quantities([QuantityUpdate(f"S{n}", f"S{n}", 12) for n in range(40)] + [QuantityUpdate("NOPE", "NOPE", 1)])
    assert len(fake.feeds) == 1 and not [e for e in fake.exchanges if e.method == "PATCH"]
    assert sorted(o.sku for o in result.failed) == ["NOPE", "S7"]
    assert len(result.succeeded) == 39
    assert fake.listings["S0"] == 12 and fake.listings["S7"] == 0


def test_invalid_patch_value_is_a_per_sku_failure(amazon):
    fake, client = amazon
    fake.add_listing("A", 1)
    fake.add_listing("B", 1)
    result = client.push_quantities([QuantityUpdate("A", "A", 3), QuantityUpdate("B", "B", -1)])
    assert result.by_sku()["A"].ok and not result.by_sku()["B"].ok
    assert fake.listings == {"A": 3, "B": 1}


def test_expired_token_403_is_refreshed_and_429_http_date_honoured(amazon):
    fake, client = amazon
    fake.add_listing("A", 1)
    client.read_quantities(["A"])
    fake.tokens.revoke_access_tokens()
    fake.faults.throttle(1, retry_after=email.utils.formatdate(time.time() + 1, usegmt=True))
    assert client.read_quantities(["A"]) == {"A": 1}
    assert fake.tokens.issued == 2 and client.retries == 1


def test_pull_orders_follows_next_token_and_reads_items(amazon):
    fake, client = amazon
    ids = [fake.add_order([("S1", 2, "10.50", "PLN"), ("S2", 1, "99.99", "PLN")]) for _ in range(5)]
    orders, cursor = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids
    assert [(l.sku, l.quantity, l.unit_price) for l in orders[0].lines] == [("S1", 2, 1050), ("S2", 1, 9999)]
    assert orders[0].buyer_email == "buyer@marketplace.amazon.pl" and orders[0].delivery_address.city == "Kraków"
    assert len([e for e in fake.exchanges if e.path == "/orders/v0/orders"]) == 3  # pages of 2
    assert cursor == fake.orders[-1]["LastUpdateDate"]


def test_duplicated_orders_and_500s(amazon):
    fake, client = amazon
    fake.duplicate_order_events = True
    ids = [fake.add_order([("S1", 1, "1.00", "PLN")]) for _ in range(3)]
    fake.faults.fail(2)
    orders, _ = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids
    assert client.retries == 2


def _token(fake):
    return requests.post(
        fake.token_url, timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": "Atzr|amazon-refresh",
              "client_id": "amzn1.application-oa2-client.fake", "client_secret": "amazon-secret"},
    ).json()["access_token"]


def test_fake_rejects_requests_and_feeds_outside_the_spec(amazon):
    fake, _ = amazon
    headers = {"x-amz-access-token": _token(fake)}
    no_marketplace = requests.get(f"{fake.base_url}/listings/2021-08-01/items/A1SELLER/S1", headers=headers, timeout=5)
    assert no_marketplace.status_code == 400
    no_patches = requests.patch(
        f"{fake.base_url}/listings/2021-08-01/items/A1SELLER/S1?marketplaceIds=A1C3SOZRARQ6R3",
        json={"productType": "PRODUCT"}, headers=headers, timeout=5,
    )
    assert no_patches.status_code == 400
    document = requests.post(
        f"{fake.base_url}/feeds/2021-06-30/documents", json={"contentType": "application/json"}, headers=headers, timeout=5
    ).json()
    bad_feed = {"header": {"sellerId": "A1SELLER", "version": "1.0"}, "messages": [{"messageId": 1, "sku": "S1", "operationType": "SHOUT"}]}
    upload = requests.put(document["url"], data=json.dumps(bad_feed), timeout=5)
    assert upload.status_code == 400
    assert len(fake.rejected) == 3
    assert "patches" in fake.rejected[1].reason and "JSON_LISTINGS_FEED" in fake.rejected[2].reason
    fake.rejected.clear()


def test_order_states_and_items_only_for_unknown_or_changed_orders(amazon):
    fake, client = amazon
    paid = fake.add_order([("S1", 1, "10.00", "PLN")])
    pending = fake.add_order([("S1", 1, "10.00", "PLN")], status="Pending")
    cancelled = fake.add_order([("S1", 1, "10.00", "PLN")], status="Canceled")
    orders, cursor = client.pull_orders(None)
    assert {o.channel_order_id: o.state for o in orders} == {
        paid: OrderState.PAID, pending: OrderState.PENDING, cancelled: OrderState.CANCELLED}
    imported = {o.channel_order_id: o.status for o in orders}
    fake.change_order(pending, "Unshipped")
    orders, _ = client.pull_orders(cursor, known=imported.get)
    assert [(o.channel_order_id, o.state) for o in orders] == [(pending, OrderState.PAID)]
    assert len([e for e in fake.exchanges if e.path.endswith("/orderItems")]) == 4


def test_throttling_follows_the_rate_limit_header_and_is_retried(amazon):
    fake, client = amazon
    fake.rate_limits["getOrderItems"] = (20.0, 2)  # the usage plan: 20 a second, a burst of 2
    ids = [fake.add_order([("S1", 1, "10.00", "PLN")]) for _ in range(12)]
    orders, _ = client.pull_orders(None)
    assert sorted(o.channel_order_id for o in orders) == sorted(ids)
    assert all(o.lines for o in orders)
    # The burst is spent, one 429 (no Retry-After on SP-API) says so; from then on requests are spaced
    # by x-amzn-RateLimit-Limit instead of running into the limit again and again.
    assert 1 <= fake.throttled <= 2 and client.session.throttled == fake.throttled
