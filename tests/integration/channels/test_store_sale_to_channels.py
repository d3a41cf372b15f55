"""The whole way round: goods received and a sale made at a store (its own SQLite node), pushed to HQ over
real HTTP by the store's sync job, reach every fake marketplace as the new quantity through HQ's jobs."""
from __future__ import annotations

import re

from sqlalchemy import select

from pos.catalogue.models import Product
from pos.stock.models import StockLevel
from pos.stores.models import Location
from sync.replication.pull import pull
from sync.replication.push import push
from tests.conftest import login, make_test_app, migrate
from tests.integration.channels.conftest import make_hq, map_listings, sku
from tests.integration.channels.test_end_to_end import CHANNELS, run_job
from tests.integration.stock.served import served


def hq_level(hq, store_code: str, sku_code: str) -> int:
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(
            select(StockLevel.on_hand).join(Location, Location.id == StockLevel.location_id)
            .join(Product, Product.id == StockLevel.product_id)
            .where(Location.code == store_code, Product.sku == sku_code)) or 0


def test_a_store_sale_synced_to_hq_reaches_every_channel(database_url, tmp_path, pin_hashes, fakes):
    hq = make_hq(database_url, tmp_path / "hq", pin_hashes, fakes)
    map_listings(hq)
    runner = hq.test_cli_runner()
    added = runner.invoke(args=["stores", "add", "S2", "Sklep Kraków", "--country", "PL"])
    token = re.search(r"POS_STORE_TOKEN=(\S+)", added.output).group(1)
    assert runner.invoke(args=["stores", "publish"]).exit_code == 0
    with served(hq) as hq_url:
        run_job(hq, "push_to_channels")
        assert fakes.shown(1) == {"allegro": 99, "amazon": 99, "ebay": 99, "shopify": 99}

        store_db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
        migrate(store_db)
        store = make_test_app(store_db, tmp_path / "store", POS_ROLE="store", POS_STORE_CODE="S2",
                              POS_HQ_URL=hq_url, POS_STORE_TOKEN=token)
        from pos.stores.services import ensure_store, ensure_terminal
        with store.app_context(), store.extensions["pos.db"].unit_of_work() as uow:
            ensure_terminal(uow.session, ensure_store(uow.session, store.config), "T1")
            uow.commit()
        pull(store)  # the catalogue and the cashiers come from HQ
        till = login(store.test_client())
        assert till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
        received = till.post("/api/v1/stock/receipts", json={"reference": "WZ/1", "lines": [
            {"sku": sku(1), "quantity": 10}]}, headers={"Idempotency-Key": "wz-1"})
        assert received.status_code == 201, received.get_json()
        basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
        line = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": sku(1), "quantity": 3}).get_json()
        paid = till.post(f"/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "cash", "amount": line["total"]}]})
        assert paid.status_code == 201, paid.get_json()

        assert "newly applied" in push(store)
        assert hq_level(hq, "S2", sku(1)) == 10 - 3  # the store's receipt and sale, booked once at HQ
        assert "newly applied" in push(store) or hq_level(hq, "S2", sku(1)) == 7
        assert hq_level(hq, "S2", sku(1)) == 7  # a second push changes nothing

        run_job(hq, "push_to_channels")
        # HQ's own store has 100, S2 now 7; marketplaces keep a buffer of one piece.
        assert fakes.shown(1) == {channel: 100 + 7 - 1 for channel in CHANNELS}
        store.extensions["pos.db"].dispose()
    hq.extensions["pos.db"].dispose()
