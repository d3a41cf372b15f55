"""The worker's channel pushers: woken by the availability feed, one per channel, so a channel that hangs
or fails delays no other channel, and its own orders still come in."""
from __future__ import annotations

import threading
import time

import pytest

from sync.channels.pushers import start_pushers, stop_pushers
from tests.conftest import login
from tests.integration.channels.conftest import listing_ids, make_hq, map_listings, sell, sku

CHANNELS = ("allegro", "amazon", "ebay", "shopify")
OTHERS = ("allegro", "amazon", "shopify")


def eventually(condition, what: str, within: float = 30.0) -> None:
    """Wait for something the pushers do in their own threads (a bound on waiting, not on speed)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)


@pytest.fixture
def hq_app(database_url, tmp_path, pin_hashes, fakes):
    # Long timeouts: a channel that hangs stays in its first attempt for the whole test.
    app = make_hq(database_url, tmp_path, pin_hashes, fakes, POS_CHANNEL_TIMEOUT_SECONDS="60",
                  POS_CHANNEL_RETRY_SECONDS="120")
    map_listings(app)
    yield app
    stop_pushers(app)
    from sync.channels.accounts import clients
    clients(app).close()
    app.extensions["pos.db"].dispose()


def test_a_sale_reaches_every_channel_through_the_pushers_and_a_hanging_channel_holds_back_no_other(hq_app, fakes):
    gate = threading.Event()
    hang = fakes.ebay.bulk_update

    def ebay_hangs(request, validated):
        gate.wait(60)
        return hang(request, validated)

    fakes.ebay.bulk_update = ebay_hangs  # eBay takes our push and does not answer
    till = login(hq_app.test_client())
    assert till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
    try:
        start_pushers(hq_app)
        eventually(lambda: all(fakes.shown(0)[c] == 99 for c in OTHERS), "the first push reached the others")
        sell(till, sku(0))
        eventually(lambda: all(fakes.shown(0)[c] == 98 for c in OTHERS), "the first sale reached the others")
        sell(till, sku(0))
        sell(till, sku(1))
        eventually(lambda: all(fakes.shown(0)[c] == 97 and fakes.shown(1)[c] == 98 for c in OTHERS),
                   "later sales reached the others while eBay still hangs")
        assert fakes.shown(0)["ebay"] == 0  # still its first push, unanswered
    finally:
        gate.set()
    eventually(lambda: fakes.shown(0) == {c: 97 for c in CHANNELS} and fakes.shown(1)["ebay"] == 98,
               "eBay caught up with the current figures once it answered")
    # Coalesced: the hung first push, then one call carrying both SKUs that changed meanwhile (on a loaded
    # machine the first push may itself leave late enough to carry the newest figures): never a call per sale.
    calls = [e.path.rsplit("/", 1)[1] for e in fakes.ebay.exchanges if e.path.endswith("_quantity")]
    assert calls in (["bulk_update_price_quantity"], ["bulk_update_price_quantity"] * 2), calls


def test_a_channel_whose_pushes_fail_still_imports_its_orders_and_the_others_go_on(hq_app, fakes):
    from sync.jobs import jobs_for
    from sync.channels.models import ChannelState

    fakes.ebay.faults.fail(10_000, status=503)
    pull = next(job for job in jobs_for("hq") if job.id == "pull_channel_orders")
    till = login(hq_app.test_client())
    assert till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
    start_pushers(hq_app)
    eventually(lambda: all(fakes.shown(2)[c] == 99 for c in OTHERS), "the first push reached the others")
    sell(till, sku(2))
    eventually(lambda: all(fakes.shown(2)[c] == 98 for c in OTHERS), "the sale reached the others")
    eventually(lambda: _push_resting(hq_app, ChannelState), "eBay's pushes rest in back-off")
    fakes.ebay.faults.clear()
    order = fakes.ebay.add_order([(listing_ids(1)["ebay"], 1, "5.00", "EUR")])
    # faults are cleared for the pull only after the pushes failed: the pull job meets a healthy API
    assert "ebay: {'reserved': 1}" in pull.run(hq_app), order


def _push_resting(app, state_model) -> bool:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        state = uow.session.get(state_model, "ebay")
        return state is not None and state.push_backoff_until is not None
