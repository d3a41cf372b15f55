"""A store is set up by commands alone (no demo data), and a store whose database is new or restored sells
only once HQ has answered for it or a manager, with a PIN, allows selling offline (audited)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pos.sales.models import Sale
from pos.staff.models import AuditEntry, Cashier
from pos.stores.models import Location, StoreEpoch, Terminal
from tests.conftest import login, make_test_app, seed_store


@pytest.fixture
def store(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path, POS_ROLE="store", POS_STORE_CODE="S1")
    seed_store(app, pin_hashes)
    yield app
    app.extensions["pos.db"].dispose()


def count(app, what) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(what))


def a_basket(till) -> dict:
    basket = till.post("/api/v1/baskets", json={}).get_json()
    return till.post(f"/api/v1/baskets/{basket['id']}/lines", json={"sku": "SKU-000001", "quantity": 1}).get_json()


def test_a_store_never_confirmed_by_hq_sells_only_after_a_managers_audited_decision(store):
    till = login(store.test_client())
    assert till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201
    basket = a_basket(till)
    pay = {"payments": [{"method": "card", "amount": basket["total"]}]}
    refused = till.post(f"/api/v1/baskets/{basket['id']}/checkout?lang=pl", json=pay)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["type"].endswith("/store-not-confirmed") and problem["invalid_params"][0]["name"] == "store"
    assert problem["title"] == "Sprzedaż czeka na centralę" and "kierownika" in problem["detail"]
    assert count(store, Sale) == 0
    assert till.get("/api/v1/store/epoch").get_json()["may_sell"] is False

    offline = "/api/v1/store/epoch/offline"
    assert till.post(offline, json={"reason": "HQ link down"}).status_code == 422
    cashier = till.post(offline, json={"approval": {"login": "demo", "pin": "1234"}, "reason": "HQ link down"})
    assert cashier.status_code == 403, cashier.get_json()
    wrong = till.post(offline, json={"approval": {"login": "boss", "pin": "0000"}, "reason": "HQ link down"})
    assert wrong.status_code == 401
    assert count(store, AuditEntry) == 0 and till.get("/api/v1/store/epoch").get_json()["may_sell"] is False

    allowed = till.post(offline, json={"approval": {"login": "boss", "pin": "9999"}, "reason": "HQ link down"})
    assert allowed.status_code == 200, allowed.get_json()
    assert allowed.get_json()["may_sell"] is True and allowed.get_json()["offline_at"]
    with store.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        entry = uow.session.scalars(select(AuditEntry)).one()
        manager = uow.session.scalars(select(Cashier).where(Cashier.login == "boss")).one()
        epoch = uow.session.scalars(select(StoreEpoch)).one()
    assert (entry.action, entry.manager_id, entry.subject) == ("sell_offline_unconfirmed", manager.id, str(epoch.id))
    assert entry.details["reason"] == "HQ link down" and epoch.offline_manager_id == manager.id

    paid = till.post(f"/api/v1/baskets/{basket['id']}/checkout", json=pay)
    assert paid.status_code == 201, paid.get_json()


def test_a_standalone_node_sells_without_any_epoch(client, till):
    basket = a_basket(till)
    paid = till.post(f"/api/v1/baskets/{basket['id']}/checkout",
                     json={"payments": [{"method": "card", "amount": basket["total"]}]})
    assert paid.status_code == 201, paid.get_json()


def test_operators_set_up_a_store_its_tills_and_staff_without_demo_data(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, POS_ROLE="store", POS_STORE_CODE="S4", POS_COUNTRY="CZ",
                        POS_LANGUAGE="en")
    cli = app.test_cli_runner()
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"login": "eva", "pin": "2468", "terminal": "T1"}).status_code \
        in (401, 422)  # nothing to log in to yet

    created = cli.invoke(args=["store", "create", "S4", "Obchod Brno"])
    assert created.exit_code == 0, created.output
    assert "S4 (CZ, CZK) created" in created.output and "flask store terminal add" in created.output
    again = cli.invoke(args=["store", "create", "S4", "Obchod Brno"])
    assert again.exit_code != 0 and "exists already" in again.output
    assert cli.invoke(args=["store", "terminal", "add", "T1"]).exit_code == 0
    unknown = cli.invoke(args=["store", "terminal", "add", "T1", "--store", "S9"])
    assert unknown.exit_code != 0 and "flask store create" in unknown.output
    short = cli.invoke(args=["staff", "add", "eva", "Eva Nová", "--role", "manager"], input="12\n12\n")
    assert short.exit_code != 0 and "4 to 12 digits" in short.output
    added = cli.invoke(args=["staff", "add", "eva", "Eva Nová", "--role", "manager"], input="2468\n2468\n")
    assert added.exit_code == 0, added.output
    assert "2468" not in added.output  # the PIN is asked for hidden and never echoed

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        location = uow.session.scalars(select(Location).where(Location.code == "S4")).one()
        terminal = uow.session.scalars(select(Terminal)).one()
        eva = uow.session.scalars(select(Cashier).where(Cashier.login == "eva")).one()
    assert (location.country, location.currency, terminal.code, terminal.language) == ("CZ", "CZK", "T1", "cs")
    assert eva.pin_hash.startswith("$argon2") and eva.role == "manager"
    answer = client.post("/api/v1/auth/login", json={"login": "eva", "pin": "2468", "terminal": "T1"})
    assert answer.status_code == 201, answer.get_json()
    app.extensions["pos.db"].dispose()
