"""Allegro client against the fake Allegro on 127.0.0.1."""

from __future__ import annotations

import email.utils
import time
import uuid

import pytest
import requests

from marketplaces import OrderState, QuantityUpdate
from marketplaces.errors import ChannelUnavailable

MEDIA = "application/vnd.allegro.public.v1+json"


def test_push_splits_into_commands_of_at_most_1000_offers_and_reads_back(allegro, patient_allegro_client):
    fake, _ = allegro
    # The fake validates a 1,000-offer command against the spec before it answers, which can take
    # longer than the suite's half-second timeout on a busy machine; this test is about batching.
    client = patient_allegro_client(fake)
    for n in range(1500):
        fake.add_offer(str(n), 1)
    # version 1: the offers show stock, so they are active and need no activation.
    updates = [QuantityUpdate(f"SKU-{n}", str(n), 5 if n < 1200 else 7, version=1) for n in range(1500)]

    result = client.push_quantities(updates)

    assert result.ok and len(result.succeeded) == 1500
    sizes = sorted(len(c.offer_ids) for c in fake.commands.values())
    assert sizes == [300, 200, 1000] or sizes == sorted([1000, 200, 300])
    assert max(sizes) <= 1000
    assert client.read_quantities(["0", "1199", "1200", "1499"]) == {"0": 5, "1199": 5, "1200": 7, "1499": 7}


def test_zero_stock_ends_the_offer_through_product_offer_patch(allegro):
    fake, client = allegro
    fake.add_offer("42", 3)
    result = client.push_quantities([QuantityUpdate("A", "42", 0)])
    assert result.ok
    assert fake.offers["42"] == {**fake.offers["42"], "quantity": 0, "status": "ENDED"}
    assert client.read_quantities(["42"]) == {"42": 0}


def test_command_is_polled_until_its_tasks_finish(allegro):
    fake, client = allegro
    fake.command_polls = 3
    fake.add_offer("1", 1)
    assert client.push_quantities([QuantityUpdate("A", "1", 9)]).ok
    command = next(iter(fake.commands.values()))
    polls = [e for e in fake.exchanges if e.method == "GET" and e.path.endswith(command.command_id)]
    assert len(polls) == 3
    assert fake.quantity("1") == 9


def test_partial_failure_is_reported_per_offer(allegro):
    fake, client = allegro
    for n in ("1", "2", "3"):
        fake.add_offer(n, 1)
    fake.failing_listings["2"] = "Offer is blocked by a moderator."
    result = client.push_quantities([QuantityUpdate(f"S{n}", n, 4) for n in ("1", "2", "3", "404")])
    outcomes = result.by_sku()
    assert outcomes["S1"].ok and outcomes["S3"].ok
    assert (outcomes["S2"].ok, outcomes["S2"].code, outcomes["S2"].message) == (False, "FAIL", "Offer is blocked by a moderator.")
    assert outcomes["S404"].ok is False
    assert client.read_quantities(["1", "2", "3"]) == {"1": 4, "2": 1, "3": 4}


def test_timeout_retry_reuses_the_command_id_so_stock_is_changed_once(allegro):
    fake, client = allegro
    fake.add_offer("7", 2)
    fake.faults.delay(1, seconds=1.5)  # the PUT takes effect, its answer comes too late

    result = client.push_quantities([QuantityUpdate("A", "7", 11)])

    assert result.ok
    assert len(fake.commands) == 1
    puts = [e for e in fake.exchanges if e.method == "PUT" and "quantity-change" in e.path]
    assert sorted(e.status for e in puts) == [201, 409]  # the late 201 is logged when it is finally sent
    assert client.retries == 1
    assert fake.quantity("7") == 11


def test_429_retry_after_in_seconds_and_as_http_date_is_honoured(allegro):
    fake, client = allegro
    fake.add_offer("1", 1)
    fake.faults.throttle(1, retry_after="0")
    fake.faults.throttle(1, retry_after=email.utils.formatdate(time.time(), usegmt=True))
    assert client.read_quantities(["1"]) == {"1": 1}
    assert client.retries == 2
    assert [e.status for e in fake.exchanges if e.path == "/sale/product-offers/1"] == [429, 429, 200]


def test_5xx_is_retried_then_given_up_within_the_budget(allegro):
    fake, client = allegro
    fake.add_offer("1", 1)
    fake.faults.fail(2, status=500)
    assert client.read_quantities(["1"]) == {"1": 1}
    assert client.retries == 2
    fake.faults.fail(10, status=503)
    with pytest.raises(ChannelUnavailable):
        client.read_quantities(["1"])
    fake.faults.clear()


def test_expired_access_token_is_refreshed_and_rotated_refresh_token_handed_back(allegro):
    fake, client = allegro
    fake.add_offer("1", 1)
    assert client.read_quantities(["1"]) == {"1": 1}
    fake.tokens.revoke_access_tokens()
    assert client.read_quantities(["1"]) == {"1": 1}
    assert client.saved_refresh_tokens == ["refresh-1", "refresh-2"]
    assert fake.tokens.refresh_token == "refresh-2"
    assert [e.status for e in fake.exchanges if e.path == "/sale/product-offers/1"] == [200, 401, 200]


def test_pull_orders_pages_events_moves_the_cursor_and_dedupes(allegro):
    fake, client = allegro
    client.events_page_size = 2
    fake.add_offer("100", 5, sku="KAWA-250")
    first = fake.add_order([("100", 2, "19.99", "PLN")])
    second = fake.add_order([("100", 1, "249.00", "PLN")], buyer_email="b@example.com", phone=None)

    orders, cursor = client.pull_orders(None)

    assert [o.channel_order_id for o in orders] == [first, second]
    line = orders[0].lines[0]
    assert (line.sku, line.listing_id, line.quantity, line.unit_price, line.currency) == ("KAWA-250", "100", 2, 1999, "PLN")
    assert orders[0].buyer_email == "kupujacy@example.com" and orders[0].buyer_phone == "+48500600700"
    assert orders[0].delivery_method == "InPost Paczkomaty 24/7"
    assert orders[0].delivery_address.city == "Warszawa"
    assert orders[1].lines[0].unit_price == 24900 and orders[1].buyer_phone is None
    assert cursor == fake.events[-1]["id"]

    third = fake.add_order([("100", 1, "5.00", "PLN")])
    orders, cursor2 = client.pull_orders(cursor)
    assert [o.channel_order_id for o in orders] == [third]
    assert client.pull_orders(cursor2) == ([], cursor2)


def test_duplicated_order_events_yield_each_order_once(allegro):
    fake, client = allegro
    fake.duplicate_order_events = True
    ids = [fake.add_order([("1", 1, "1.00", "PLN")]) for _ in range(3)]
    orders, _ = client.pull_orders(None)
    assert [o.channel_order_id for o in orders] == ids


def _raw_put(fake, body):
    token = requests.post(
        fake.token_url, data={"grant_type": "refresh_token", "refresh_token": fake.tokens.refresh_token},
        auth=("allegro-client", "allegro-secret"), timeout=5,
    ).json()["access_token"]
    return requests.put(
        f"{fake.base_url}/sale/offer-quantity-change-commands/{uuid.uuid4()}",
        json=body, timeout=5,
        headers={"Authorization": f"Bearer {token}", "Accept": MEDIA, "Content-Type": MEDIA},
    )


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"modification": {"value": 3}, "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": "1"}]}]}, "changeType"),
        ({"modification": {"changeType": "SET", "value": 3}, "offerCriteria": []}, "FIXED"),
        ({"modification": {"changeType": "FIXED", "value": 3},
          "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": str(n)} for n in range(1001)]}]}, "1000"),
        ({"modification": {"changeType": "FIXED", "value": "three"}, "offerCriteria": []}, "integer"),
    ],
)
def test_fake_rejects_commands_the_spec_does_not_allow(allegro, body, reason):
    fake, _ = allegro
    response = _raw_put(fake, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
    assert len(fake.rejected) == 1 and reason in fake.rejected[0].reason
    fake.rejected.clear()


def test_fake_rejects_unknown_paths_and_wrong_accept(allegro):
    fake, _ = allegro
    assert requests.get(f"{fake.base_url}/sale/no-such-thing", headers={"Accept": MEDIA}, timeout=5).status_code == 400
    assert requests.get(f"{fake.base_url}/order/events", headers={"Accept": "application/json"}, timeout=5).status_code == 400
    assert len(fake.rejected) == 2
    fake.rejected.clear()


def test_fake_checks_its_own_answers_against_the_response_schema(allegro):
    fake, client = allegro
    form_id = fake.add_order([("1", 1, "1.00", "PLN")])
    del fake.checkout_forms[form_id]["summary"]  # required by CheckoutForm
    client.pull_orders(None)
    assert any("summary" in p for p in fake.invalid_responses)
    fake.invalid_responses.clear()


def test_order_states_follow_the_checkout_form(allegro):
    fake, client = allegro
    fake.add_offer("1", 5, sku="KAWA")
    paid = fake.add_order([("1", 1, "10.00", "PLN")])
    unpaid = fake.add_order([("1", 1, "10.00", "PLN")], status="FILLED_IN", events=("BOUGHT", "FILLED_IN"))
    cancelled = fake.add_order([("1", 1, "10.00", "PLN")], status="BOUGHT", events=("BOUGHT",))
    fake.change_order(cancelled, "AUTO_CANCELLED", status="CANCELLED")
    returned = fake.add_order([("1", 1, "10.00", "PLN")])
    fake.change_order(returned, "FULFILLMENT_STATUS_CHANGED", fulfillment="RETURNED")
    states = {o.channel_order_id: o.state for o in client.pull_orders(None)[0]}
    assert states == {paid: OrderState.PAID, unpaid: OrderState.PENDING, cancelled: OrderState.CANCELLED,
                      returned: OrderState.REFUNDED}


def test_a_sold_out_offer_is_ended_and_activated_again_with_its_quantity_when_stock_returns(allegro):
    fake, client = allegro
    fake.add_offer("42", 3)
    assert client.push_quantities([QuantityUpdate("A", "42", 0, version=3)]).ok
    assert (fake.quantity("42"), fake.status("42")) == (0, "ENDED")
    assert client.read_quantities(["42"]) == {"42": 0}

    # version 0: we last told Allegro 0, so the offer is ended and must be activated with its stock.
    result = client.push_quantities([QuantityUpdate("A", "42", 5, version=0)])

    assert result.ok, result.failed
    assert (fake.quantity("42"), fake.status("42"), fake.shown("42")) == (5, "ACTIVE", 5)
    assert client.read_quantities(["42"]) == {"42": 5}
    assert len(fake.publication_commands) == 1
    command = next(iter(fake.publication_commands.values()))
    assert (command.value, command.offer_ids) == ("ACTIVATE", ["42"])


def test_an_offer_that_shows_stock_is_not_activated_again(allegro):
    fake, client = allegro
    fake.add_offer("1", 4)
    assert client.push_quantities([QuantityUpdate("A", "1", 2, version=4)]).ok
    assert fake.publication_commands == {}
    assert (fake.quantity("1"), fake.status("1")) == (2, "ACTIVE")


def test_an_ended_offer_reads_as_nothing_to_buy_whatever_stock_it_keeps(allegro):
    fake, client = allegro
    fake.add_offer("9", 6)
    fake.offers["9"]["status"] = "ENDED"  # ended on Allegro (sold out there, or by hand), stock set later
    assert client.read_quantities(["9"]) == {"9": 0}
    assert client.read_publication(["9"]) == {"9": ("ENDED", 6)}


def test_an_activation_allegro_refuses_fails_that_offer_only_with_the_reason(allegro):
    fake, client = allegro
    for offer_id in ("1", "2"):
        fake.add_offer(offer_id, 0)
        fake.offers[offer_id]["status"] = "ENDED"
    original = fake._finish_publication

    def refuse_offer_2(command):
        fake.failing_listings["2"] = "Offer is blocked by a moderator."
        try:
            original(command)
        finally:
            fake.failing_listings.clear()
    fake._finish_publication = refuse_offer_2
    result = client.push_quantities([QuantityUpdate("S1", "1", 3, version=0), QuantityUpdate("S2", "2", 3, version=0)])
    outcomes = result.by_sku()
    assert outcomes["S1"].ok and fake.status("1") == "ACTIVE"
    assert outcomes["S2"].ok is False and outcomes["S2"].code == "FAIL"
    assert "Offer is blocked by a moderator." in outcomes["S2"].message
    assert (fake.quantity("2"), fake.status("2")) == (3, "ENDED")


def test_an_edit_that_keeps_failing_fails_its_own_offer_and_never_the_others(allegro):
    fake, client = allegro
    fake.add_offer("1", 5)
    fake.add_offer("2", 5)
    fake.faults.fail(4, status=503)  # every attempt at the first request (ending offer 1) fails
    result = client.push_quantities([QuantityUpdate("S1", "1", 0, version=5), QuantityUpdate("S2", "2", 8, version=5)])
    outcomes = result.by_sku()
    assert (outcomes["S1"].ok, outcomes["S1"].code) == (False, "UNAVAILABLE")
    assert "503" in outcomes["S1"].message
    assert outcomes["S2"].ok and fake.quantity("2") == 8
    assert fake.quantity("1") == 5
