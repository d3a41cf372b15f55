"""Exactly once on PostgreSQL: redemptions racing from separate processes on one account spend once."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pos.customers.models import Customer
from pos.loyalty import services
from pos.loyalty.models import LoyaltyAccount, LoyaltyEntry

ROOT = Path(__file__).resolve().parents[3]

# Each process opens its transaction, says "ready", waits for "go" on stdin, then redeems and commits:
# every process is inside its transaction before any of them spends.
WORKER = """
import sys, uuid
import pos.models, sync.models
from pos.db import Database
from pos.loyalty import services
url, customer, amount, key = sys.argv[1:5]
db = Database(url)
with db.unit_of_work() as uow:
    uow.session.execute(__import__("sqlalchemy").text("select 1"))
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        entry, created = services.redeem(uow.session, uuid.UUID(customer), int(amount), "PLN", key, "store:S1")
        uow.commit()
        print("spent" if created else "replayed", entry.id, flush=True)
    except services.LoyaltyError as error:
        print("refused", error.code, flush=True)
"""


def race(url: str, customer_id, amount: int, keys: list[str]) -> list[str]:
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(customer_id), str(amount), key], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for key in keys]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        return [process.communicate(timeout=120)[0].strip() for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


@pytest.fixture
def funded(app):
    """A programme (1 point pays 1 grosz) and a customer with 100 points."""
    db = app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        services.configure(uow.session, {"points_per_unit": 1, "point_value": 1, "rolling_days": 365})
        customer = Customer(name="Race")
        uow.session.add(customer)
        uow.session.flush()
        account = services.account_for(uow.session, customer.id, create=True)
        services._post(uow.session, account, "seed", "earn", 100)
        uow.commit()
        return customer.id


def balance_and_spends(app, customer_id):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        account = uow.session.scalar(select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id))
        spends = uow.session.scalar(select(func.count()).select_from(LoyaltyEntry).where(
            LoyaltyEntry.account_id == account.id, LoyaltyEntry.kind == "redeem"))
        return account.balance, spends


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_processes_spending_the_same_points_with_different_keys_spend_once(app, database_url, funded):
    outcomes = race(database_url, funded, 80, [f"till:{uuid.uuid4()}" for _ in range(3)])
    assert sorted(o.split()[0] for o in outcomes) == ["refused", "refused", "spent"], outcomes
    assert all(o == "refused insufficient-points" for o in outcomes if o.startswith("refused"))
    assert balance_and_spends(app, funded) == (20, 1)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_processes_retrying_one_redemption_key_spend_once_and_all_see_it(app, database_url, funded):
    key = f"webshop:{uuid.uuid4()}"
    outcomes = race(database_url, funded, 30, [key, key, key])
    assert sorted(o.split()[0] for o in outcomes) == ["replayed", "replayed", "spent"], outcomes
    assert len({o.split()[1] for o in outcomes}) == 1  # one redemption, the same id to every caller
    assert balance_and_spends(app, funded) == (70, 1)
