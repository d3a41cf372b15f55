"""Reading each channel back corrects drift (someone edited a listing by hand, a push was lost)."""
from __future__ import annotations

from sync.channels.push import push_round
from sync.channels.reconcile import reconcile_round
from tests.integration.channels.conftest import listing_ids, sku

CHANNELS = ("allegro", "amazon", "ebay", "shopify")


def drift(fakes, n: int, values: dict) -> None:
    ids = listing_ids(n)
    fakes.allegro.offers[ids["allegro"]]["quantity"] = values["allegro"]
    fakes.amazon.listings[ids["amazon"]] = values["amazon"]
    for offer in fakes.ebay.offers_of(ids["ebay"]).values():  # what eBay buyers see
        offer["availableQuantity"] = values["ebay"]
    fakes.shopify.levels[(ids["shopify"], fakes.shopify.location_id)] = values["shopify"]


def test_reconciliation_puts_drifted_listings_right_and_reports_them(hq, fakes, manager):
    push_round(hq)
    drift(fakes, 1, {"allegro": 5, "amazon": 0, "ebay": 1000, "shopify": 3})
    results = {r["channel"]: r for r in reconcile_round(hq)}
    for channel, showed in {"allegro": 5, "amazon": 0, "ebay": 1000, "shopify": 3}.items():
        report = results[channel]
        assert (report["checked"], report["corrected"], report["missing"]) == (4, 1, 0), report
        assert report["corrections"] == [{"sku": sku(1), "listing_id": listing_ids(1)[channel],
                                          "channel_showed": showed, "corrected_to": 99, "ok": True}]
    assert fakes.shown(1) == {c: 99 for c in CHANNELS}
    status = manager.get("/api/v1/channels/status").get_json()
    by_channel = {c["channel"]: c for c in status["channels"]}
    assert all(by_channel[c]["last_reconcile"]["corrected"] == 1 for c in CHANNELS)
    assert all(by_channel[c]["configured"] and by_channel[c]["backlog"] == 0 for c in CHANNELS)
    # Nothing drifted since: the next run corrects nothing.
    assert {r["channel"]: r["corrected"] for r in reconcile_round(hq)} == {c: 0 for c in CHANNELS}


def test_a_listing_the_channel_does_not_know_is_reported_not_invented(hq, fakes):
    push_round(hq)
    del fakes.amazon.listings[listing_ids(2)["amazon"]]
    report = {r["channel"]: r for r in reconcile_round(hq)}["amazon"]
    assert report["corrected"] == 0
    assert report["missing_on_channel"] == [{"sku": sku(2), "listing_id": listing_ids(2)["amazon"]}]


def test_an_allegro_offer_that_buyers_cannot_see_is_activated_again_by_reconciliation(hq, fakes):
    push_round(hq)
    offer = listing_ids(1)["allegro"]
    fakes.allegro.offers[offer]["status"] = "ENDED"  # ended on Allegro (by hand, or sold out there): stock kept
    assert fakes.allegro.quantity(offer) == 99 and fakes.shown(1)["allegro"] == 0
    report = {r["channel"]: r for r in reconcile_round(hq)}["allegro"]
    assert report["corrections"] == [{"sku": sku(1), "listing_id": offer, "channel_showed": 0, "corrected_to": 99,
                                      "ok": True}]
    assert (fakes.allegro.status(offer), fakes.shown(1)["allegro"]) == ("ACTIVE", 99)
    assert {r["channel"]: r["corrected"] for r in reconcile_round(hq)}["allegro"] == 0


def test_ebay_is_read_back_on_the_offer_buyers_see_and_corrected_there(hq, fakes):
    push_round(hq)
    ebay_sku = listing_ids(2)["ebay"]
    (offer,) = fakes.ebay.offers_of(ebay_sku).values()
    offer["availableQuantity"] = 7  # the listing drifted; the inventory item still says 99
    assert fakes.ebay.items[ebay_sku] == 99
    report = {r["channel"]: r for r in reconcile_round(hq)}["ebay"]
    assert [(c["sku"], c["channel_showed"], c["ok"]) for c in report["corrections"]] == [(sku(2), 7, True)]
    assert offer["availableQuantity"] == 99 and fakes.shown(2)["ebay"] == 99
