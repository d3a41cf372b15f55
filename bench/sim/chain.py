"""The simulated chain's real parts: HQ (gunicorn on PostgreSQL) and its worker (`python -m sync`), stores (gunicorn
on SQLite) each with its worker behind its own cuttable TCP proxy to HQ, and three spec-validating marketplace fakes
the HQ worker pushes to and pulls orders from."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from bench.sim.tcpproxy import TcpProxy
from tests.integration.sync.chain import BIN, ROOT, Node, flask, node_env

MARKETPLACES = ("allegro", "amazon", "ebay")
STORES = ("S1", "S2", "S3", "S4")


def piece_skus(products: int) -> list[str]:
    """The demo catalogue sells one product in twelve by weight (index % 12 == 5); the simulation sells pieces."""
    return [f"SKU-{n:06d}" for n in range(products) if n % 12 != 5]


def listing_ids(sku: str) -> dict:
    n = int(sku.rsplit("-", 1)[1])
    return {"allegro": f"7700000000{n}", "amazon": f"AMZ-SKU-{n:06d}", "ebay": f"EB-SKU-{n:06d}"}


def descendants(pid: int) -> list[int]:
    """Processes started by ``pid`` (a gunicorn master's workers), found through /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill9(process: subprocess.Popen | None) -> None:
    """kill -9 a process we started and everything it started (a gunicorn master and its workers)."""
    if process is None or process.poll() is not None:
        return
    family = descendants(process.pid)
    for pid in [process.pid, *family]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in family) and time.monotonic() < deadline:
        time.sleep(0.05)


class SimNode(Node):
    """A node that may take its time to come up: on a shared 2-core machine with a dozen Python processes
    importing at once, the chain tests' 120 s is not always enough (this is no speed check)."""

    def start(self) -> "SimNode":
        import requests

        handle = open(self.log, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", "1", "--threads", "4",
             "--timeout", "60", "--graceful-timeout", "1", "pos:create_app()"], cwd=ROOT, env=self.env,
            stdout=handle, stderr=handle)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")


class Worker:
    """`python -m sync` for one node, its own process."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name, self.env, self.log = name, env, log_dir / f"{name}-worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        handle = open(self.log, "ab")
        self.process = subprocess.Popen([str(BIN / "python"), "-m", "sync"], cwd=ROOT, env=self.env,
                                        stdout=handle, stderr=handle)
        return self

    def kill9(self) -> None:
        kill9(self.process)
        self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill9(self.process)
        self.process = None


def seed_hq(url: str, tmp: Path, products: int) -> None:
    """HQ's office with cashiers and the demo catalogue, published to the stores' feed; listings mapped for the
    marketplaces (as `flask channels import-listings` would)."""
    from pos import create_app
    from pos.catalogue.generator import demo_products
    from pos.catalogue.importer import write_rows
    from pos.staff.models import Cashier
    from pos.staff.services import hash_pin
    from pos.stores.publish import publish_snapshot
    from pos.stores.services import ensure_store, ensure_terminal
    from sync.channels import listings
    from sync.stock.availability import Freshness

    app = create_app({"POS_DATABASE_URL": url, "POS_ROLE": "hq", "POS_STORE_CODE": "HQ", "SECRET_KEY": "t",
                      "POS_DEVICE_DIR": str(tmp / "devices"), "POS_ALLOW_REAL_DEVICES": False})
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        office = ensure_store(uow.session, app.config)
        office.kind = "office"
        ensure_terminal(uow.session, office, "T1")
        uow.session.add_all([Cashier(login="demo", name="Demo Cashier", role="cashier", pin_hash=hash_pin("1234")),
                             Cashier(login="boss", name="Demo Manager", role="manager", pin_hash=hash_pin("9999"))])
        write_rows(uow.session, demo_products(products, app.extensions["pos.settings"].country.vat_rates), "PLN")
        uow.session.flush()
        publish_snapshot(uow.session)
        uow.commit()
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        for channel in MARKETPLACES:
            rows = [listings.ListingRow(i + 2, sku, listing_ids(sku)[channel])
                    for i, sku in enumerate(piece_skus(products))]
            listings.import_rows(uow.session, Freshness.from_config(app.config), channel, rows)
        uow.commit()
    app.extensions["pos.db"].dispose()


def seed_store(url: str, code: str, tmp: Path) -> None:
    """A new store's database (migrated already: a copy of one migrated template) with its location and till."""
    from pos import create_app
    from pos.stores.services import ensure_store, ensure_terminal

    app = create_app({"POS_DATABASE_URL": url, "POS_ROLE": "store", "POS_STORE_CODE": code, "SECRET_KEY": "t",
                      "POS_DEVICE_DIR": str(tmp / "devices"), "POS_ALLOW_REAL_DEVICES": False})
    with app.app_context(), app.extensions["pos.db"].unit_of_work() as uow:
        ensure_terminal(uow.session, ensure_store(uow.session, app.config), "T1")
        uow.commit()
    app.extensions["pos.db"].dispose()


def start_fakes() -> dict:
    from marketplaces.fakes.allegro import FakeAllegro
    from marketplaces.fakes.amazon import FakeAmazon
    from marketplaces.fakes.ebay import FakeEbay

    return {"allegro": FakeAllegro().start(), "amazon": FakeAmazon(feed_polls=1).start(), "ebay": FakeEbay().start()}


def channel_config(fakes: dict) -> dict:
    allegro, amazon, ebay = fakes["allegro"], fakes["amazon"], fakes["ebay"]
    return {
        "POS_CHANNEL_ALLEGRO_URL": allegro.base_url, "POS_CHANNEL_ALLEGRO_CLIENT_ID": "allegro-client",
        "POS_CHANNEL_ALLEGRO_CLIENT_SECRET": "allegro-secret", "POS_CHANNEL_ALLEGRO_REFRESH_TOKEN": "allegro-refresh-0",
        "POS_CHANNEL_AMAZON_URL": amazon.base_url, "POS_CHANNEL_AMAZON_CLIENT_ID": "amzn1.application-oa2-client.fake",
        "POS_CHANNEL_AMAZON_CLIENT_SECRET": "amazon-secret", "POS_CHANNEL_AMAZON_REFRESH_TOKEN": "Atzr|amazon-refresh",
        "POS_CHANNEL_AMAZON_SELLER_ID": "A1SELLER", "POS_CHANNEL_AMAZON_MARKETPLACE_ID": "A1C3SOZRARQ6R3",
        "POS_CHANNEL_EBAY_URL": ebay.base_url, "POS_CHANNEL_EBAY_CLIENT_ID": "ebay-client",
        "POS_CHANNEL_EBAY_CLIENT_SECRET": "ebay-secret", "POS_CHANNEL_EBAY_REFRESH_TOKEN": "ebay-refresh",
    }


class Store:
    def __init__(self, code: str, node: Node, worker: Worker, proxy: TcpProxy, db_path: Path):
        self.code, self.node, self.worker, self.proxy, self.db_path = code, node, worker, proxy, db_path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def backup(self, target: Path) -> None:
        """SQLite's online backup of the live database (what the README tells a store to take)."""
        source, copy = sqlite3.connect(self.db_path), sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()

    def restore(self, backup: Path) -> str:
        """The README's restore: stop app and worker (here: they died, kill -9), copy the backup over, drop -wal and
        -shm, `alembic upgrade head`, `flask store restore-check`, then start the worker and the app."""
        from tests.conftest import migrate

        self.worker.kill9()
        kill9(self.node.process)
        self.node.process = None
        shutil.copyfile(backup, self.db_path)
        for suffix in ("-wal", "-shm"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        migrate(self.url)
        checked = flask(self.node.env, "store", "restore-check").stdout
        self.worker.start()
        self.node.start()
        return checked


class Chain:
    """HQ, its worker, four stores with their workers and proxies, three marketplace fakes."""

    def __init__(self, tmp: Path, products: int, sync_backoff_seconds: int = 15, sales_window_seconds: int = 600):
        from tests.conftest import PG_ADMIN_URL, drop_postgres_database, fresh_postgres_database

        self.tmp, self.products = tmp, products
        self.db_name = f"pos_sim_hq_{os.getpid()}"
        self._drop = lambda: drop_postgres_database(self.db_name)
        self.pg_admin = PG_ADMIN_URL
        self.hq_db = fresh_postgres_database(self.db_name, ": the simulation's HQ runs on PostgreSQL")
        seed_hq(self.hq_db, tmp, products)
        self.fakes = start_fakes()
        for sku in piece_skus(products):
            ids = listing_ids(sku)
            self.fakes["allegro"].add_offer(ids["allegro"], 0, sku=sku)
            self.fakes["amazon"].add_listing(ids["amazon"], 0)
            self.fakes["ebay"].add_item(ids["ebay"], 0)
        config = channel_config(self.fakes)
        # The sales buffer's rate window is the stores' trading history: minutes here, hours in a shop.
        hq_env = node_env(tmp, POS_ROLE="hq", POS_DATABASE_URL=self.hq_db, POS_STORE_CODE="HQ",
                          POS_SALES_RATE_WINDOW_SECONDS=sales_window_seconds, **config)
        self.hq = SimNode("hq", hq_env, tmp)
        self.hq_worker = Worker("hq", hq_env, tmp)
        self.stores: dict[str, Store] = {}
        self.backoff = sync_backoff_seconds

    def start(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from pos import create_app
        from tests.conftest import migrate

        self.hq.start()
        self.hq_worker.start()
        # `flask stores add` and `flask clients add`, run in this process (one app, not a process each).
        hq = create_app({"POS_DATABASE_URL": self.hq_db, "POS_ROLE": "hq", "POS_STORE_CODE": "HQ", "SECRET_KEY": "t",
                         "POS_DEVICE_DIR": str(self.tmp / "devices"), "POS_ALLOW_REAL_DEVICES": False})
        runner = hq.test_cli_runner()
        tokens = {}
        for code in STORES:
            result = runner.invoke(args=["stores", "add", code, f"Sklep {code}", "--country", "PL"])
            tokens[code] = re.search(r"POS_STORE_TOKEN=(\S+)", result.output).group(1)
        result = runner.invoke(args=["clients", "add", "webshop", "--scope", "reservations:write",
                                     "--scope", "availability:read"])
        self.web_key = result.output.strip().splitlines()[-1]
        hq.extensions["pos.db"].dispose()
        template = self.tmp / "store-template.sqlite3"
        migrate(f"sqlite:///{template}")
        for code in STORES:
            db_path = self.tmp / f"{code}.sqlite3"
            shutil.copyfile(template, db_path)
            seed_store(f"sqlite:///{db_path}", code, self.tmp)
            proxy = TcpProxy(self.hq.port)
            env = node_env(self.tmp, POS_ROLE="store", POS_DATABASE_URL=f"sqlite:///{db_path}", POS_STORE_CODE=code,
                           POS_COUNTRY="PL", POS_HQ_URL=proxy.url, POS_STORE_TOKEN=tokens[code],
                           POS_SYNC_MAX_BACKOFF_SECONDS=self.backoff)
            self.stores[code] = Store(code, SimNode(code, env, self.tmp), Worker(code, env, self.tmp), proxy, db_path)

        def first(store: Store) -> None:
            store.worker.start()  # its first round introduces the store to HQ and pulls catalogue and cashiers
            store.node.start()

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(first, self.stores.values()))

    def kill9_hq(self) -> None:
        kill9(self.hq.process)
        self.hq.process = None

    def close(self) -> None:
        for store in self.stores.values():
            store.worker.stop()
            store.node.stop()
            store.proxy.close()
        self.hq_worker.stop()
        self.hq.stop()
        for fake in self.fakes.values():
            fake.stop()
        self._drop()
