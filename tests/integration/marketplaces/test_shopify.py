"""Shopify client against the fake Admin GraphQL API on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import requests

from marketplaces import OrderState, QuantityUpdate

SHOPIFY_LOCATION = "gid://shopify/Location/1"  # as the shopify fixture sets up


def item(n: int) -> str:
    return f"gid://shopify/InventoryItem/{n}"


def test_push_compare_and_set_reports_stale_versions_per_item(shopify):
    fake, client = shopify
    for n in range(4):
        fake.add_inventory_item(item(n), 5)
    result = client.push_quantities(
        [QuantityUpdate("S0", item(0), 4, 5), QuantityUpdate("S1", item(1), 3, 9),
         QuantityUpdate("S2", item(2), 2, None), QuantityUpdate("S3", item(3), 1, 5)]
    )
    outcomes = result.by_sku()
    assert outcomes["S0"].ok and outcomes["S2"].ok and outcomes["S3"].ok
    assert (outcomes["S1"].ok, outcomes["S1"].code) == (False, "COMPARE_QUANTITY_STALE")
    assert client.read_quantities([item(n) for n in range(4)]) == {item(0): 4, item(1): 5, item(2): 2, item(3): 1}


def test_push_batches_of_250(shopify):
    fake, client = shopify
    for n in range(300):
        fake.add_inventory_item(item(n), 0)
    assert client.push_quantities([QuantityUpdate(f"S{n}", item(n), 1, 0) for n in range(300)]).ok
    assert len(fake.adjustments) == 2
    assert fake.quantity(item(299)) == 1


def test_lost_answer_retry_is_not_mistaken_for_a_conflict(shopify):
    fake, client = shopify
    fake.add_inventory_item(item(1), 5)
    fake.faults.delay(1, seconds=1.0)
    result = client.push_quantities([QuantityUpdate("S1", item(1), 8, 5)])
    assert result.ok and client.retries == 1
    assert fake.quantity(item(1)) == 8 and len(fake.adjustments) == 1


def test_throttle_and_server_errors_are_retried(shopify):
    fake, client = shopify
    fake.add_inventory_item(item(1), 5)
    fake.faults.throttle(1, retry_after="0.2")
    fake.faults.fail(1)
    assert client.read_quantities([item(1)]) == {item(1): 5}
    assert client.retries == 2


def test_pull_orders_pages_and_dedupes(shopify):
    fake, client = shopify
    client.orders_page_size = 2
    fake.duplicate_order_events = True
    ids = [fake.add_order([("KAWA", item(1), 2, "24.50")]) for _ in range(3)]
    orders, cursor = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids
    line = orders[0].lines[0]
    assert (line.sku, line.listing_id, line.quantity, line.unit_price, line.currency) == ("KAWA", item(1), 2, 2450, "PLN")
    assert orders[0].buyer_name == "Olena Shevchenko" and orders[0].delivery_method == "Nova Poshta"
    assert cursor == fake.orders[-1]["updatedAt"]
    # The window includes the cursor's second, so its orders come again (the importer knows them by id);
    # nothing older does.
    older = fake.add_order([("KAWA", item(1), 1, "24.50")], updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    again = [o.channel_order_id for o in client.pull_orders(cursor)[0]]
    assert older not in again and set(again) == {o["id"] for o in fake.orders if o["updatedAt"] == cursor}


def test_orders_updated_in_the_same_second_as_the_cursor_are_all_pulled(shopify):
    fake, client = shopify
    second = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    first = fake.add_order([("KAWA", item(1), 1, "24.50")], updated_at=second)
    orders, cursor = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == [first] and cursor == fake.orders[0]["updatedAt"]
    # Eight more orders change later within that same second, after the pull had read it.
    late = [fake.add_order([("KAWA", item(1), 1, "24.50")], updated_at=second + dt.timedelta(milliseconds=100 * n))
            for n in range(1, 9)]
    orders, cursor = client.pull_orders(cursor)
    assert set(late) <= {o.channel_order_id for o in orders}
    assert cursor == fake.orders[0]["updatedAt"]


def test_order_states_follow_cancelled_at_and_the_financial_status(shopify):
    fake, client = shopify
    paid = fake.add_order([("KAWA", item(1), 1, "24.50")])
    pending = fake.add_order([("KAWA", item(1), 1, "24.50")], financial_status="PENDING")
    refunded = fake.add_order([("KAWA", item(1), 1, "24.50")], financial_status="REFUNDED")
    cancelled = fake.add_order([("KAWA", item(1), 1, "24.50")])
    fake.change_order(cancelled, cancelled=True, financial_status="VOIDED")
    states = {o.channel_order_id: o.state for o in client.pull_orders(None)[0]}
    assert states == {paid: OrderState.PAID, pending: OrderState.PENDING, refunded: OrderState.REFUNDED,
                      cancelled: OrderState.CANCELLED}


def _post(fake, body, token="shpat_fake"):
    return requests.post(
        f"{fake.base_url}/admin/api/2025-01/graphql.json", json=body,
        headers={"X-Shopify-Access-Token": token}, timeout=5,
    )


def test_fake_rejects_invalid_documents_and_variables(shopify):
    fake, _ = shopify
    assert _post(fake, {"query": "{ shop { noSuchField } }"}).status_code == 400
    wrong_variable = {
        "query": "mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }",
        "variables": {"input": {"name": "available", "reason": "correction",
                                "quantities": [{"inventoryItemId": item(1), "locationId": SHOPIFY_LOCATION, "quantity": "five"}]}},
    }
    assert _post(fake, wrong_variable).status_code == 400
    assert len(fake.rejected) == 2
    assert "noSuchField" in fake.rejected[0].reason and "quantity" in fake.rejected[1].reason
    fake.rejected.clear()
    assert _post(fake, {"query": "{ shop { name } }"}, token="wrong").status_code == 401


def test_query_cost_throttling_is_waited_out_and_paced_not_reported(shopify):
    fake, client = shopify
    fake.bucket.maximum, fake.bucket.restore_rate = 950.0, 2000.0
    ids = [fake.add_order([("KAWA", item(1), 1, "24.50")]) for _ in range(30)]
    fake.bucket.spend(950)  # another app of the shop emptied the bucket: the first query is THROTTLED
    orders, _ = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids
    assert fake.bucket.throttled == 1 and client.session.throttled == 1
    # Later pages waited for the points they need instead of running into the limit.
    assert len([e for e in fake.exchanges if e.status == 200]) == 4  # 3 pages, one of them retried


def test_orders_with_many_lines_stay_within_the_query_cost_limit(shopify):
    fake, client = shopify
    many = fake.add_order([(f"SKU-{n}", item(n), 1, "1.00") for n in range(1, 38)])
    orders, _ = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == [many]
    assert [line.sku for line in orders[0].lines] == [f"SKU-{n}" for n in range(1, 38)]
