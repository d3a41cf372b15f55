"""Pushing available-to-sell: the newest figure only, batched as each channel allows, never an older one
over a newer one, and through throttling, server errors, timeouts and half-failed batches."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from pos.db import utcnow

from sync.channels.push import push_round, record_outcomes, take_feed
from tests.integration.channels.conftest import (LISTED, listing_ids, listing_row, map_listings, sell, set_on_hand,
                                                 sku)

CHANNELS = ("allegro", "amazon", "ebay", "shopify")


def exchanges(fake, method: str, fragment: str) -> int:
    return sum(1 for e in fake.exchanges if e.method == method and fragment in e.path)


def test_a_store_sale_reaches_every_channel_and_only_the_newest_figure_is_sent(hq, fakes, till):
    first = push_round(hq)
    assert {r["channel"]: r["pushed"] for r in first} == {c: LISTED for c in CHANNELS}
    # Marketplaces keep one piece back per SKU by default: 100 on hand → 99 to sell.
    assert fakes.shown(0) == {c: 99 for c in CHANNELS}
    before = exchanges(fakes.ebay, "POST", "bulk_update_price_quantity")
    for _ in range(3):  # three sales between two rounds: the channels hear of the last figure only
        sell(till, sku(0))
    results = push_round(hq)
    assert {r["channel"]: r["pushed"] for r in results} == {c: 1 for c in CHANNELS}
    assert fakes.shown(0) == {c: 96 for c in CHANNELS}
    assert fakes.shown(1) == {c: 99 for c in CHANNELS}
    assert exchanges(fakes.ebay, "POST", "bulk_update_price_quantity") == before + 1
    # Nothing changed since: a round sends nothing at all.
    sent = len(fakes.ebay.exchanges)
    assert {r["channel"]: r["pushed"] for r in push_round(hq)} == {c: 0 for c in CHANNELS}
    assert len(fakes.ebay.exchanges) == sent


def test_many_changed_skus_go_in_the_channels_batch_sizes(hq, fakes):
    count = 30
    for n in range(LISTED, count):
        fakes.list(n)
    map_listings(hq, count)
    push_round(hq)
    # eBay takes 25 items per call: 30 listings are two calls.  Allegro sets one figure per command:
    # 99 pieces for the piece goods, 49,999 g for the weighed ones (every 12th from SKU 5).
    assert exchanges(fakes.ebay, "POST", "bulk_update_price_quantity") == 2
    assert exchanges(fakes.allegro, "PUT", "offer-quantity-change-commands") == 2
    # Amazon sends more than 20 SKUs as one listings feed instead of one PATCH each.
    assert exchanges(fakes.amazon, "POST", "/feeds/2021-06-30/feeds") == 1
    for n in range(count):
        assert fakes.shown(n) == {c: 49_999 if n % 12 == 5 else 99 for c in CHANNELS}


def test_an_older_figure_never_overwrites_a_newer_one(hq, fakes, till):
    from pos.stock.models import AvailabilityChange
    from sync.channels.push import due_updates

    push_round(hq)
    sell(till, sku(0))
    push_round(hq)
    newer = listing_row(hq, "ebay", sku(0))
    assert (newer.pushed_quantity, fakes.shown(0)["ebay"]) == (98, 98)
    db = hq.extensions["pos.db"]
    with db.unit_of_work() as uow:
        # A feed row re-read behind the cursor (as after a late PostgreSQL commit) changes nothing.
        old = uow.session.scalars(select(AvailabilityChange).where(AvailabilityChange.channel == "ebay",
                                                                   AvailabilityChange.sku == sku(0))
                                  .order_by(AvailabilityChange.seq)).first()
        assert old.available == 99
        assert take_feed(uow.session, "ebay") == 0
        assert due_updates(uow.session, "ebay") == []
        # A slow round confirming the older figure after the newer one landed is ignored.
        from marketplaces import PushResult, QuantityUpdate
        stale_update = QuantityUpdate(sku(0), listing_ids(0)["ebay"], 99)
        result = PushResult()
        result.add_ok(stale_update)
        summary = record_outcomes(uow.session, "ebay", [(newer.id, old.seq, stale_update)], result)
        uow.commit()
    assert summary["pushed"] == 0
    row = listing_row(hq, "ebay", sku(0))
    assert (row.pushed_quantity, row.pushed_seq) == (98, newer.pushed_seq)


def test_throttling_server_errors_and_timeouts_are_survived(hq, fakes, till):
    push_round(hq)
    sell(till, sku(1))
    fakes.allegro.faults.throttle(2, retry_after="1")
    fakes.amazon.faults.fail(2, status=503)
    fakes.ebay.faults.delay(1, seconds=0.8)  # longer than the 0.5 s timeout: done, but the answer is lost
    fakes.shopify.faults.throttle(1, retry_after="0")
    results = push_round(hq)
    assert {r["channel"]: r["pushed"] for r in results} == {c: 1 for c in CHANNELS}
    assert fakes.shown(1) == {c: 98 for c in CHANNELS}
    assert all(fake.faults.pending == 0 for fake in fakes.by_channel.values())


def test_a_channel_whose_pushes_fail_rests_alone_keeps_importing_orders_and_catches_up(hq, fakes, till):
    from sync.channels.models import ChannelState
    from sync.channels.orders import pull_round

    push_round(hq)
    sell(till, sku(2))
    fakes.ebay.faults.fail(50, status=500)  # more than the client's retry budget
    results = {r["channel"]: r for r in push_round(hq)}
    assert results["ebay"]["error"] == "ChannelUnavailable"
    assert fakes.shown(2)["ebay"] == 99 and fakes.shown(2)["amazon"] == 98
    skipped = {r["channel"]: r for r in push_round(hq)}
    assert (skipped["ebay"]["skipped"], skipped["amazon"]["pushed"]) == ("back-off", 0)
    fakes.ebay.faults.clear()
    # Its pushes rest, its orders do not: a buyer's eBay order is imported meanwhile.
    order = fakes.ebay.add_order([(listing_ids(1)["ebay"], 1, "5.00", "EUR")])
    pulled = {r["channel"]: r for r in pull_round(hq)}
    assert pulled["ebay"]["orders"] == {"reserved": 1}, pulled["ebay"]
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        state = uow.session.get(ChannelState, "ebay")
        assert state.push_backoff_until is not None and state.push_error.startswith("ChannelUnavailable")
        assert state.backoff_until is None and state.consecutive_failures == 0
    assert order
    sell(till, sku(2))
    with hq.extensions["pos.db"].unit_of_work() as uow:  # its time has come
        uow.session.get(ChannelState, "ebay").push_backoff_until = None
        uow.commit()
    push_round(hq)
    assert fakes.shown(2) == {c: 97 for c in CHANNELS}


def open_incidents(app, kind: str = "push-refused") -> list:
    from sync.channels.models import ChannelIncident

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(ChannelIncident).where(
            ChannelIncident.kind == kind, ChannelIncident.status == "open").order_by(ChannelIncident.channel)))


def retry_now(app, sku_code: str) -> None:
    """A refused SKU's own back-off is over."""
    from sync.channels.models import ChannelListing

    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(ChannelListing).where(ChannelListing.sku == sku_code).values(retry_at=None))
        uow.commit()


def rest_longer(app, sku_code: str) -> None:
    from sync.channels.models import ChannelListing

    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(ChannelListing).where(ChannelListing.sku == sku_code, ChannelListing.retry_at.is_not(None))
                            .values(retry_at=utcnow() + dt.timedelta(hours=1)))
        uow.commit()


def test_a_refused_sku_becomes_an_incident_with_the_reason_holds_back_nothing_and_goes_again_later(hq, fakes, till,
                                                                                                   manager):
    push_round(hq)
    for channel in CHANNELS:
        fakes.by_channel[channel].failing_listings[listing_ids(3)[channel]] = "listing is locked"
    sell(till, sku(3))
    sell(till, sku(0))
    results = {r["channel"]: r for r in push_round(hq)}
    for channel in CHANNELS:
        assert results[channel]["pushed"] == 1, results[channel]
        assert [f["sku"] for f in results[channel]["failed"]] == [sku(3)]
    assert fakes.shown(0) == {c: 98 for c in CHANNELS}
    assert fakes.shown(3) == {c: 99 for c in CHANNELS}
    refused = listing_row(hq, "allegro", sku(3))
    assert refused.last_error
    assert refused.retry_at is not None  # its own back-off (2 s after a first refusal) ...
    rest_longer(hq, sku(3))  # ... stretched, so a loaded machine's slow steps cannot outlast it mid-test
    incidents = open_incidents(hq)
    assert [(i.channel, i.sku) for i in incidents] == [(c, sku(3)) for c in sorted(CHANNELS)]
    assert all("listing is locked" in i.involved[0]["reason"] for i in incidents)
    listed = manager.get("/api/v1/incidents").get_json()["items"]
    assert {i["channel"] for i in listed if i["kind"] == "push-refused"} == set(CHANNELS)
    # The refused SKU waits for its own back-off: the next changes go without it, and no new incident.
    sell(till, sku(0))
    results = {r["channel"]: r for r in push_round(hq)}
    assert all(results[c]["pushed"] == 1 and results[c]["failed"] == [] for c in CHANNELS), results
    assert len(open_incidents(hq)) == len(CHANNELS)
    for channel in CHANNELS:
        fakes.by_channel[channel].failing_listings.clear()
    set_on_hand(hq, sku(3), 40)  # meanwhile a count found 40: that is what goes, not the 98 that failed
    push_round(hq)
    assert fakes.shown(3) == {c: 99 for c in CHANNELS}  # still resting
    retry_now(hq, sku(3))
    push_round(hq)
    assert fakes.shown(3) == {c: 39 for c in CHANNELS}
    assert listing_row(hq, "allegro", sku(3)).last_error is None
    assert open_incidents(hq) == []  # the channels took it: the incidents resolved themselves


def test_an_allegro_edit_that_keeps_failing_for_one_offer_holds_back_neither_its_other_offers_nor_the_channel(
        hq, fakes, till):
    from sync.channels.models import ChannelState

    push_round(hq)
    set_on_hand(hq, sku(1), 1)  # sold out for Allegro (one piece is kept back): its offer is ended
    sell(till, sku(0))
    # Every attempt at ending offer 1 fails; the quantity command for offer 0 goes through.
    fakes.allegro.faults.fail(6, status=503)
    result = {r["channel"]: r for r in push_round(hq)}["allegro"]
    assert result["pushed"] == 1 and [f["sku"] for f in result["failed"]] == [sku(1)], result
    assert result["failed"][0]["code"] == "UNAVAILABLE"
    assert fakes.shown(0)["allegro"] == 98
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.get(ChannelState, "allegro").push_backoff_until is None
    assert open_incidents(hq) == []  # not reached is no refusal
    retry_now(hq, sku(1))
    push_round(hq)
    assert fakes.shown(1)["allegro"] == 0 and fakes.allegro.status(listing_ids(1)["allegro"]) == "ENDED"


def test_a_sold_out_allegro_offer_is_ended_and_activated_with_its_quantity_when_stock_returns(hq, fakes):
    offer = listing_ids(2)["allegro"]
    push_round(hq)
    set_on_hand(hq, sku(2), 1)  # one piece is kept back: nothing to sell
    push_round(hq)
    assert (fakes.allegro.quantity(offer), fakes.allegro.status(offer)) == (0, "ENDED")
    assert fakes.shown(2) == {c: 0 for c in CHANNELS}
    set_on_hand(hq, sku(2), 6)  # a delivery came
    results = {r["channel"]: r for r in push_round(hq)}
    assert results["allegro"]["pushed"] == 1 and results["allegro"]["failed"] == []
    assert (fakes.allegro.quantity(offer), fakes.allegro.status(offer)) == (5, "ACTIVE")
    assert fakes.shown(2) == {c: 5 for c in CHANNELS}
