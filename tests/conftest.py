"""Fixtures shared by the whole suite.

The integration suite runs twice, on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres).
PostgreSQL tests skip only where no server answers; with POS_REQUIRE_POSTGRES=1 (CI) an
unreachable server fails them instead.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_ADMIN_URL = os.environ.get("POS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def shared_path(*parts: str) -> Path:
    """A file in ../shared, or a skip that says why (CI always has it)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here: ../shared (specs) sits beside the repo in CI")
    return path


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")


def fresh_postgres_database(name: str, why: str = "") -> str:
    """Database ``name`` on the test server, dropped and made anew, migrated to head."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except OperationalError as exc:
        if os.environ.get("POS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (POS_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN_URL}{why}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    return url


def drop_postgres_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _postgres_database(worker: str) -> str:
    # One database per pytest process, so parallel runs never drop each other's tables.
    return fresh_postgres_database(f"pos_test_{worker}_{os.getpid()}")


@pytest.fixture(scope="session")
def worker_id_safe(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id_safe):
    url = _postgres_database(worker_id_safe)
    yield url
    drop_postgres_database(url.rsplit("/", 1)[1])


def _truncate_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    import pos.models  # noqa: F401
    import sync.models  # noqa: F401
    from pos.db import Base

    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "pos.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture(scope="session")
def pin_hashes() -> dict:
    from pos.staff.services import hash_pin
    return {"1234": hash_pin("1234"), "9999": hash_pin("9999"), "4321": hash_pin("4321")}


def make_test_app(database_url: str, tmp_path: Path, **overrides):
    from pos import create_app

    config = {
        "TESTING": True,
        "POS_DATABASE_URL": database_url,
        "SECRET_KEY": "test-only",
        "POS_ALLOW_REAL_DEVICES": False,
        "POS_DEVICE_DIR": str(tmp_path / "devices"),
        # test receivers listen on 127.0.0.1
        "POS_WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
    }
    config.update(overrides)
    return create_app(config)


def seed_store(app, pin_hashes: dict, product_count: int = 60) -> None:
    """A small store: terminals T1/T2, cashier demo/1234, manager boss/9999, demo products with stock."""
    from sqlalchemy import select

    from pos.catalogue.generator import demo_products
    from pos.catalogue.importer import write_rows
    from pos.catalogue.models import Product
    from pos.staff.models import Cashier
    from pos.stock.services import record_movements
    from pos.stores.services import ensure_store, ensure_terminal

    with app.app_context():
        db = app.extensions["pos.db"]
        with db.unit_of_work() as uow:
            session = uow.session
            location = ensure_store(session, app.config)
            ensure_terminal(session, location, "T1")
            ensure_terminal(session, location, "T2")
            session.add_all([
                Cashier(login="demo", name="Demo Cashier", role="cashier", pin_hash=pin_hashes["1234"]),
                Cashier(login="boss", name="Demo Manager", role="manager", pin_hash=pin_hashes["9999"]),
                Cashier(login="anna", name="Anna Nowak", role="cashier", pin_hash=pin_hashes["4321"]),
            ])
            rows = demo_products(product_count, app.extensions["pos.settings"].country.vat_rates)
            write_rows(session, rows, location.currency)
            products = session.execute(select(Product.id, Product.unit)).all()
            record_movements(session, location.id,
                             [(pid, 50_000 if unit == "kg" else 100) for pid, unit in products], "receipt")
            uow.commit()


@pytest.fixture
def app(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path)
    seed_store(app, pin_hashes)
    yield app
    app.extensions["pos.db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class ApiClient:
    """A logged-in terminal: every call carries the bearer token."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def _headers(self, headers=None):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path, **kw):
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


def login(client, login="demo", pin="1234", terminal="T1") -> ApiClient:
    response = client.post("/api/v1/auth/login", json={"login": login, "pin": pin, "terminal": terminal})
    assert response.status_code == 201, response.get_json()
    return ApiClient(client, response.get_json()["token"])


@pytest.fixture
def till(client) -> ApiClient:
    """Cashier demo on T1 with a shift open (float 200.00)."""
    api = login(client)
    response = api.post("/api/v1/shifts", json={"opening_float": 20000})
    assert response.status_code == 201, response.get_json()
    return api
