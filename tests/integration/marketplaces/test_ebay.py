"""eBay client against the fake eBay Sell APIs on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import requests

from marketplaces import OrderState, QuantityUpdate


def test_push_sends_at_most_25_items_a_call_and_reads_back(ebay):
    fake, client = ebay
    for n in range(60):
        fake.add_item(f"S{n}", 0)
    result = client.push_quantities([QuantityUpdate(f"S{n}", f"S{n}", n + 1) for n in range(60)])
    assert result.ok and len(result.succeeded) == 60
    calls = [e for e in fake.exchanges if e.path.endswith("/bulk_update_price_quantity")]
    assert len(calls) == 3  # 25 + 25 + 10
    assert client.read_quantities([f"S{n}" for n in range(60)] + ["unknown"]) == {f"S{n}": n + 1 for n in range(60)}


def test_partial_failure_inside_a_batch_is_reported_per_sku(ebay):
    fake, client = ebay
    for sku in ("A", "B", "C"):
        fake.add_item(sku, 1)
    fake.failing_listings["B"] = "The offer is not published."
    result = client.push_quantities([QuantityUpdate(s, s, 9) for s in ("A", "B", "C")])
    assert [o.sku for o in result.succeeded] == ["A", "C"]
    assert [(o.sku, o.code, o.message) for o in result.failed] == [("B", "25702", "The offer is not published.")]
    assert fake.items == {"A": 9, "B": 1, "C": 9}


def test_throttling_failures_and_timeouts_are_retried(ebay):
    fake, client = ebay
    fake.add_item("A", 1)
    fake.faults.throttle(1, retry_after="1")
    fake.faults.fail(1, status=502)
    fake.faults.delay(1, seconds=1.0)
    assert client.push_quantities([QuantityUpdate("A", "A", 4)]).ok
    assert client.retries == 3
    assert fake.items["A"] == 4


def test_token_refresh_on_401(ebay):
    fake, client = ebay
    fake.add_item("A", 2)
    client.read_quantities(["A"])
    fake.tokens.revoke_access_tokens()
    assert client.read_quantities(["A"]) == {"A": 2}
    assert fake.tokens.issued == 2


def test_pull_orders_pages_by_offset_and_filters_by_last_modified(ebay):
    fake, client = ebay
    client.orders_page_size = 2
    old = fake.add_order([("A", 1, "3.00", "EUR")], modified_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
    ids = [fake.add_order([("A", 3, "19.99", "EUR")]) for _ in range(5)]
    orders, cursor = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids and old not in ids
    assert orders[0].lines[0].unit_price == 1999 and orders[0].lines[0].quantity == 3
    assert orders[0].buyer_email == "buyer@example.com" and orders[0].delivery_address.country_code == "CZ"
    assert len([e for e in fake.exchanges if e.path.endswith("/order")]) == 3
    newer = fake.add_order([("A", 1, "1.00", "EUR")], modified_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5))
    orders, _ = client.pull_orders(cursor)
    # The window is inclusive of the cursor; the caller imports by channel order id.
    assert newer in [o.channel_order_id for o in orders]


def test_duplicated_orders_are_returned_once(ebay):
    fake, client = ebay
    fake.duplicate_order_events = True
    ids = [fake.add_order([("A", 1, "1.00", "EUR")]) for _ in range(3)]
    orders, _ = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids


def test_paging_follows_the_next_link_so_no_order_is_skipped(ebay):
    fake, client = ebay
    client.orders_page_size = 3
    fake.duplicate_order_events = True  # pages hold more entries than the server's offset steps over
    ids = [fake.add_order([("A", 1, "1.00", "EUR")]) for _ in range(10)]
    orders, _ = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids
    pages = [e for e in fake.exchanges if e.path.endswith("/order")]
    assert len(pages) == 4  # 3 + 3 + 3 + 1, each reached by its next link


def test_order_states_follow_cancel_state_and_payment_status(ebay):
    fake, client = ebay
    paid = fake.add_order([("A", 1, "1.00", "EUR")])
    pending = fake.add_order([("A", 1, "1.00", "EUR")], payment_status="PENDING")
    refunded = fake.add_order([("A", 1, "1.00", "EUR")])
    fake.change_order(refunded, payment_status="FULLY_REFUNDED")
    cancelled = fake.add_order([("A", 1, "1.00", "EUR")])
    fake.change_order(cancelled, cancel_state="CANCELED")
    states = {o.channel_order_id: o.state for o in client.pull_orders(None)[0]}
    assert states == {paid: OrderState.PAID, pending: OrderState.PENDING, refunded: OrderState.REFUNDED,
                      cancelled: OrderState.CANCELLED}


def test_fake_rejects_a_batch_of_26(ebay):
    fake, _ = ebay
    token = requests.post(
        fake.token_url, data={"grant_type": "refresh_token", "refresh_token": "ebay-refresh"},
        auth=("ebay-client", "ebay-secret"), timeout=5,
    ).json()["access_token"]
    response = requests.post(
        f"{fake.base_url}/sell/inventory/v1/bulk_update_price_quantity",
        json={"requests": [{"sku": f"S{n}", "shipToLocationAvailability": {"quantity": 1}} for n in range(26)]},
        headers={"Authorization": f"Bearer {token}"}, timeout=5,
    )
    assert response.status_code == 400 and "errorId" in response.json()["errors"][0]
    assert len(fake.rejected) == 1 and "25" in fake.rejected[0].reason
    bad_type = requests.post(
        f"{fake.base_url}/sell/inventory/v1/bulk_update_price_quantity",
        json={"requests": [{"sku": "S", "shipToLocationAvailability": {"quantity": "many"}}]},
        headers={"Authorization": f"Bearer {token}"}, timeout=5,
    )
    assert bad_type.status_code == 400 and len(fake.rejected) == 2
    fake.rejected.clear()


def test_push_updates_the_published_offers_buyers_see_with_the_item(ebay):
    fake, client = ebay
    offer_ids = fake.add_item("A", 1)
    assert client.push_quantities([QuantityUpdate("A", "A", 7)]).ok
    assert fake.items["A"] == 7
    assert fake.offers[offer_ids[0]]["availableQuantity"] == 7 and fake.shown("A") == 7
    # The offer id is looked up once; the next push goes straight to the bulk call.
    assert client.push_quantities([QuantityUpdate("A", "A", 0)]).ok
    assert (fake.items["A"], fake.shown("A")) == (0, 0)
    assert len([e for e in fake.exchanges if e.path.endswith("/offer")]) == 1


def test_read_back_is_what_buyers_see_on_the_offer_not_the_item(ebay):
    fake, client = ebay
    offer_id = fake.add_item("A", 5)[0]
    fake.offers[offer_id]["availableQuantity"] = 2  # the listing drifted from the inventory item
    fake.add_item("UNLISTED", 4, offers=0)
    assert client.read_quantities(["A", "UNLISTED", "unknown"]) == {"A": 2}


def test_a_call_carries_at_most_25_offers_and_skips_unpublished_ones(ebay):
    fake, client = ebay
    for n in range(13):
        fake.add_item(f"S{n}", 0, offers=2)  # 26 offers in all: two calls
    draft = fake.add_offer("S0", 0, status="UNPUBLISHED")
    result = client.push_quantities([QuantityUpdate(f"S{n}", f"S{n}", 3) for n in range(13)])
    assert result.ok, result.failed
    assert len([e for e in fake.exchanges if e.path.endswith("/bulk_update_price_quantity")]) == 2
    assert all(fake.shown(f"S{n}") == 6 for n in range(13))  # two offers of 3 each
    assert fake.offers[draft]["availableQuantity"] == 0
