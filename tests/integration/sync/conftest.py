"""The chain fixture: HQ on its own PostgreSQL database, stores S1 and S2 on SQLite, each a real process."""
from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import drop_postgres_database, fresh_postgres_database, migrate
from tests.integration.sync.chain import Node, flask, node_env

PRODUCTS = 20


def _hq_database(name: str) -> str:
    return fresh_postgres_database(name, ": HQ runs on PostgreSQL")


def _drop(name: str) -> None:
    drop_postgres_database(name)


def seed_hq(url: str, tmp) -> None:
    """HQ's own office (for staff logins), cashiers and the catalogue, published to the stores' feed."""
    from pos import create_app
    from pos.catalogue.generator import demo_products
    from pos.catalogue.importer import write_rows
    from pos.staff.models import Cashier
    from pos.staff.services import hash_pin
    from pos.stores.publish import publish_snapshot
    from pos.stores.services import ensure_store, ensure_terminal

    app = create_app({"POS_DATABASE_URL": url, "POS_ROLE": "hq", "POS_STORE_CODE": "HQ", "SECRET_KEY": "t",
                      "POS_DEVICE_DIR": str(tmp / "devices"), "POS_ALLOW_REAL_DEVICES": False})
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        office = ensure_store(uow.session, app.config)
        office.kind = "office"
        ensure_terminal(uow.session, office, "T1")
        uow.session.add_all([Cashier(login="demo", name="Demo Cashier", role="cashier", pin_hash=hash_pin("1234")),
                             Cashier(login="boss", name="Demo Manager", role="manager", pin_hash=hash_pin("9999"))])
        write_rows(uow.session, demo_products(PRODUCTS, app.extensions["pos.settings"].country.vat_rates), "PLN")
        uow.session.flush()
        publish_snapshot(uow.session)
        uow.commit()
    app.extensions["pos.db"].dispose()


def seed_store(url: str, code: str, tmp) -> None:
    """A new store: its own location and till; cashiers and products come from HQ on the first pull."""
    from pos import create_app
    from pos.stores.services import ensure_store, ensure_terminal

    migrate(url)
    app = create_app({"POS_DATABASE_URL": url, "POS_ROLE": "store", "POS_STORE_CODE": code, "SECRET_KEY": "t",
                      "POS_DEVICE_DIR": str(tmp / "devices"), "POS_ALLOW_REAL_DEVICES": False})
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        ensure_terminal(uow.session, ensure_store(uow.session, app.config), "T1")
        uow.commit()
    app.extensions["pos.db"].dispose()


class Chain:
    def __init__(self, tmp, hq_url):
        self.tmp = tmp
        self.hq_db = hq_url
        self.hq = Node("hq", node_env(tmp, POS_ROLE="hq", POS_DATABASE_URL=hq_url, POS_STORE_CODE="HQ"), tmp)
        self.stores: dict[str, Node] = {}
        self.tokens: dict[str, str] = {}
        self.store_db: dict[str, str] = {}

    def store_url(self, code: str) -> str:
        return f"sqlite:///{self.tmp / (code + '.sqlite3')}"

    def add_store(self, code: str) -> Node:
        result = flask(self.hq.env, "stores", "add", code, f"Sklep {code}", "--country", "PL")
        self.tokens[code] = re.search(r"POS_STORE_TOKEN=(\S+)", result.stdout).group(1)
        self.store_db[code] = self.store_url(code)
        node = Node(code, node_env(self.tmp, POS_ROLE="store", POS_DATABASE_URL=self.store_db[code],
                                   POS_STORE_CODE=code, POS_COUNTRY="PL", POS_HQ_URL=self.hq.url,
                                   POS_STORE_TOKEN=self.tokens[code]), self.tmp)
        self.stores[code] = node
        return node

    def set_up_store(self, code: str) -> Node:
        """A store set up as the README says, without demo data: registered at HQ, its database migrated,
        its location and till made by `flask store …`; cashiers come from HQ on the first sync."""
        node = self.add_store(code)
        migrate(self.store_db[code])
        flask(node.env, "store", "create", code, f"Sklep {code}", "--country", "PL")
        flask(node.env, "store", "terminal", "add", "T1")
        return node

    def sync_once(self, code: str, **overrides):
        return flask({**self.stores[code].env, **{k: str(v) for k, v in overrides.items()}}, "sync", "once")

    def sync_all(self) -> dict[str, str]:
        """`flask sync once` at every store at the same time (each is its own process)."""
        with ThreadPoolExecutor() as pool:
            runs = {code: pool.submit(self.sync_once, code) for code in self.stores}
        return {code: run.result().stdout for code, run in runs.items()}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chain")
    name = f"pos_sync_hq_{os.getpid()}"
    chain = Chain(tmp, _hq_database(name))
    seed_hq(chain.hq_db, tmp)
    chain.hq.start()
    for code in ("S1", "S2"):
        seed_store(chain.store_url(code), code, tmp)  # Alembic is not thread-safe: one at a time
    with ThreadPoolExecutor() as pool:
        nodes = list(pool.map(chain.add_store, ("S1", "S2")))
        list(pool.map(lambda node: node.start(), nodes))
    for code, output in chain.sync_all().items():  # the first pull: catalogue and cashiers from HQ
        assert "from HQ applied" in output, output
    try:
        yield chain
    finally:
        with ThreadPoolExecutor() as pool:
            list(pool.map(lambda node: node.stop(), (*chain.stores.values(), chain.hq)))
        _drop(name)
