"""HQ wired to the four fake marketplaces (real HTTP servers on 127.0.0.1, strict: any request a fake
refuses fails the test), on SQLite and PostgreSQL through the `database_url` parametrisation."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from marketplaces.specs import specs_available, specs_dir
from tests.conftest import login, make_test_app, seed_store
from tests.integration.marketplaces.conftest import assert_spec_clean

SHOPIFY_LOCATION = "gid://shopify/Location/1"
LISTED = 4  # SKU-000000 … SKU-000003 are listed on every channel


def listing_ids(n: int) -> dict:
    """SKU-00000n's listing id on each channel."""
    return {"allegro": f"7700000000{n}", "amazon": f"AMZ-SKU-{n:06d}", "ebay": f"EB-SKU-{n:06d}",
            "shopify": f"gid://shopify/InventoryItem/{100 + n}"}


def sku(n: int) -> str:
    return f"SKU-{n:06d}"


class Fakes:
    def __init__(self, allegro, amazon, ebay, shopify):
        self.by_channel = {"allegro": allegro, "amazon": amazon, "ebay": ebay, "shopify": shopify}
        self.allegro, self.amazon, self.ebay, self.shopify = allegro, amazon, ebay, shopify

    def list(self, n: int, quantity: int = 0) -> None:
        ids = listing_ids(n)
        self.allegro.add_offer(ids["allegro"], quantity, sku=sku(n))
        self.amazon.add_listing(ids["amazon"], quantity)
        self.ebay.add_item(ids["ebay"], quantity)
        self.shopify.add_inventory_item(ids["shopify"], quantity)

    def shown(self, n: int) -> dict:
        """What a buyer can buy of SKU-00000n on each channel right now (an ended Allegro offer sells
        nothing; eBay buyers see the published offer, not the inventory item)."""
        ids = listing_ids(n)
        return {"allegro": self.allegro.shown(ids["allegro"]), "amazon": self.amazon.listings[ids["amazon"]],
                "ebay": self.ebay.shown(ids["ebay"]), "shopify": self.shopify.quantity(ids["shopify"])}

    def config(self, **extra) -> dict:
        return {
            "POS_CHANNEL_ALLEGRO_URL": self.allegro.base_url, "POS_CHANNEL_ALLEGRO_CLIENT_ID": "allegro-client",
            "POS_CHANNEL_ALLEGRO_CLIENT_SECRET": "allegro-secret", "POS_CHANNEL_ALLEGRO_REFRESH_TOKEN": "allegro-refresh-0",
            "POS_CHANNEL_AMAZON_URL": self.amazon.base_url,
            "POS_CHANNEL_AMAZON_CLIENT_ID": "amzn1.application-oa2-client.fake",
            "POS_CHANNEL_AMAZON_CLIENT_SECRET": "amazon-secret", "POS_CHANNEL_AMAZON_REFRESH_TOKEN": "Atzr|amazon-refresh",
            "POS_CHANNEL_AMAZON_SELLER_ID": "A1SELLER", "POS_CHANNEL_AMAZON_MARKETPLACE_ID": "A1C3SOZRARQ6R3",
            "POS_CHANNEL_EBAY_URL": self.ebay.base_url, "POS_CHANNEL_EBAY_CLIENT_ID": "ebay-client",
            "POS_CHANNEL_EBAY_CLIENT_SECRET": "ebay-secret", "POS_CHANNEL_EBAY_REFRESH_TOKEN": "ebay-refresh",
            "POS_CHANNEL_SHOPIFY_URL": self.shopify.base_url, "POS_CHANNEL_SHOPIFY_ACCESS_TOKEN": "shpat_fake",
            "POS_CHANNEL_SHOPIFY_LOCATION_ID": SHOPIFY_LOCATION,
            # Short timeouts and retry budgets keep fault tests quick; the fakes answer in milliseconds.
            "POS_CHANNEL_TIMEOUT_SECONDS": "0.5", "POS_CHANNEL_RETRY_SECONDS": "5", "POS_CHANNEL_POLL_SECONDS": "0.01",
            "POS_CHANNEL_MAX_BACKOFF_SECONDS": "30",
            **extra,
        }

    def clean(self) -> None:
        for fake in self.by_channel.values():
            assert_spec_clean(fake)


@pytest.fixture
def fakes():
    if not specs_available():
        pytest.skip(f"published channel specs not found under {specs_dir()}: check out ../shared beside the repo "
                    "or set MARKETPLACE_SPECS_DIR")
    from marketplaces.fakes.allegro import FakeAllegro
    from marketplaces.fakes.amazon import FakeAmazon
    from marketplaces.fakes.ebay import FakeEbay
    from marketplaces.fakes.shopify import FakeShopify

    started = [FakeAllegro().start(), FakeAmazon(feed_polls=1).start(), FakeEbay().start(),
               FakeShopify(location_id=SHOPIFY_LOCATION).start()]
    found = Fakes(*started)
    for n in range(LISTED):
        found.list(n)
    try:
        yield found
        found.clean()  # strict: a request any fake refused fails the test
    finally:
        for fake in started:
            fake.stop()


def heard_now(app) -> None:
    """At HQ a store counts for online channels only while it syncs: mark every store as just heard."""
    from pos.stores.models import Location

    with app.extensions["pos.db"].unit_of_work() as uow:
        for location in uow.session.scalars(select(Location)):
            location.last_heard_at = dt.datetime.now(dt.timezone.utc)
        uow.commit()


def make_hq(database_url, tmp_path, pin_hashes, fakes, **overrides):
    app = make_test_app(database_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="S1", **fakes.config(**overrides))
    seed_store(app, pin_hashes)
    heard_now(app)
    return app


def map_listings(app, count: int = LISTED) -> None:
    from sync.channels import listings
    from sync.channels.accounts import CHANNELS
    from sync.stock.availability import Freshness

    with app.extensions["pos.db"].unit_of_work() as uow:
        for channel in CHANNELS:
            rows = [listings.ListingRow(n + 2, sku(n), listing_ids(n)[channel]) for n in range(count)]
            listings.import_rows(uow.session, Freshness.from_config(app.config), channel, rows)
        uow.commit()


@pytest.fixture
def hq(database_url, tmp_path, pin_hashes, fakes):
    app = make_hq(database_url, tmp_path, pin_hashes, fakes)
    map_listings(app)
    yield app
    from sync.channels.accounts import clients
    clients(app).close()
    app.extensions["pos.db"].dispose()


@pytest.fixture
def manager(hq):
    return login(hq.test_client(), "boss", "9999")


def sell(api, sku_code: str, quantity: int = 1) -> dict:
    """A till sale through the real basket and checkout API."""
    basket = api.post("/api/v1/baskets", json={}).get_json()["id"]
    response = api.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku_code, "quantity": quantity})
    assert response.status_code == 201, response.get_json()
    total = response.get_json()["total"]
    response = api.post(f"/api/v1/baskets/{basket}/checkout", json={"payments": [{"method": "card", "amount": total}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def till(hq):
    api = login(hq.test_client())
    assert api.post("/api/v1/shifts", json={"opening_float": 10000}).status_code == 201
    return api


def set_on_hand(app, sku_code: str, on_hand: int) -> None:
    """A stock count at the store: the ledger moves to exactly ``on_hand``."""
    from pos.catalogue.models import Product
    from pos.stock.models import StockLevel
    from pos.stock.services import record_movements

    with app.extensions["pos.db"].unit_of_work() as uow:
        product_id = uow.session.scalar(select(Product.id).where(Product.sku == sku_code))
        level = uow.session.scalar(select(StockLevel).where(StockLevel.product_id == product_id))
        record_movements(uow.session, level.location_id, [(product_id, on_hand - level.on_hand)], "count")
        uow.commit()


def listing_row(app, channel: str, sku_code: str):
    from sync.channels.models import ChannelListing

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(ChannelListing).where(ChannelListing.channel == channel,
                                                               ChannelListing.sku == sku_code))
