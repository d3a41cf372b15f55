"""A store's database restored from a backup: every sale reaches HQ exactly once and no receipt number is
used for two sales.  A store is fresh at HQ only while its changes arrive, never because its pulls work.
HQ (PostgreSQL) and the stores (SQLite) are separate processes, links misbehave through a real HTTP proxy;
the stores are set up by the operator's commands alone (no demo data)."""
from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine, select

from pos.feed.models import Change
from pos.sales.models import Sale
from pos.stores.epochs import BOOKMARK
from pos.stores.models import Location, SyncCursor, Terminal
from tests.integration.sync.chain import FaultyProxy, Till, flask

PUSH, PULL = "/api/v1/sync/push", "/api/v1/sync/changes"

SKUS = ["SKU-000003", "SKU-000004"]


def hq_sales(chain, code) -> dict:
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        rows = connection.execute(select(Sale.id, Sale.receipt_number, Terminal.code)
                                  .join(Location, Location.id == Sale.location_id)
                                  .join(Terminal, Terminal.id == Sale.terminal_id).where(Location.code == code)).all()
    engine.dispose()
    return {str(row.id): (row.code, row.receipt_number) for row in rows}


def sell(node, count) -> list[dict]:
    till = Till(node, "demo", "1234", "T1")
    till.open_shift()
    return [till.sell([SKUS[i % 2]]) for i in range(count)]


def refused(node) -> dict:
    till = Till(node, "demo", "1234", "T1")
    basket = till.call("POST", "/api/v1/baskets", json={})
    till.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": SKUS[0], "quantity": 1})
    return till.call("POST", f"/api/v1/baskets/{basket['id']}/checkout", expect=(409,),
                     json={"payments": [{"method": "card", "amount": 1}]})


def test_a_store_set_up_by_commands_restored_from_a_backup_loses_and_repeats_nothing(chain):
    node = chain.set_up_store("R1")
    database = Path(chain.store_db["R1"].removeprefix("sqlite:///"))
    node.start()
    assert "from HQ applied" in chain.sync_once("R1").stdout  # the cashiers come from HQ

    made = sell(node, 2)  # each sale is two changes: the sale, and its fiscal outcome for HQ
    assert "4 change(s) sent, 4 newly applied" in chain.sync_once("R1").stdout
    backup = database.with_name("R1-backup.sqlite3")
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(backup)) as copy:
        source.backup(copy)  # the operator's nightly backup, taken while the store runs
    made += sell(node, 3)
    assert "6 change(s) sent, 6 newly applied" in chain.sync_once("R1").stdout

    node.stop()  # the disk dies; the backup goes back
    for leftover in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(backup, database)
    checked = flask(node.env, "store", "restore-check").stdout
    assert "flask sync once" in checked
    node.start()
    problem = refused(node)  # until HQ answers, the till would reuse receipt numbers 3..5: it refuses
    assert problem["type"].endswith("/store-not-confirmed") and problem["invalid_params"][0]["name"] == "store"
    answered = chain.sync_once("R1").stdout
    assert "confirmed by HQ" in answered, answered
    after = sell(node, 2)
    made += after
    assert "4 change(s) sent, 4 newly applied" in chain.sync_once("R1").stdout

    at_hq = hq_sales(chain, "R1")
    assert set(at_hq) == {sale["id"] for sale in made}  # every sale, the lost life's and the new one's
    assert len(at_hq) == len(made) == 7
    numbers = [number for _terminal, number in at_hq.values()]
    assert sorted(numbers) == list(range(1, 8))  # no number for two sales, none skipped
    assert [sale["receipt_number"] for sale in after] == [6, 7]  # the restored till continued above HQ
    for sale in made:
        assert at_hq[sale["id"]] == ("T1", sale["receipt_number"])
    node.stop()


def heard(chain, code):
    """HQ's freshness of the store (what online channels go by)."""
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        value = connection.scalar(select(Location.last_heard_at).where(Location.code == code))
    engine.dispose()
    return value


def waiting_at_store(chain, code) -> list:
    """created_at of each change the store has not had acknowledged, oldest first."""
    engine = create_engine(chain.store_db[code])
    with engine.connect() as connection:
        sent = connection.scalar(select(SyncCursor.position).where(SyncCursor.name == "push")) or 0
        rows = connection.scalars(select(Change.created_at).where(Change.seq > sent, Change.entity != BOOKMARK)
                                  .order_by(Change.seq)).all()
    engine.dispose()
    return rows


def test_a_store_is_fresh_only_while_its_changes_arrive(chain):
    node = chain.set_up_store("F1")
    node.start()
    chain.sync_once("F1")
    first = heard(chain, "F1")
    assert first is not None  # a new store with nothing to send has pushed all the same

    watching = FaultyProxy(chain.hq.url, lambda method, path: False)
    try:
        quiet = chain.sync_once("F1", POS_HQ_URL=watching.url).stdout
    finally:
        watching.close()
    assert "0 change(s) sent" in quiet
    assert watching.passed[("POST", PUSH)] == 1  # a quiet store still says it is up to date
    after_quiet = heard(chain, "F1")
    assert after_quiet > first

    made = sell(node, 3)
    pushes_fail = FaultyProxy(chain.hq.url, lambda method, path: path == PUSH)
    try:
        cut = chain.sync_once("F1", POS_HQ_URL=pushes_fail.url).stdout
    finally:
        pushes_fail.close()
    assert "push failed" in cut and "from HQ applied" in cut, cut
    assert pushes_fail.failed[("POST", PUSH)] >= 1 and pushes_fail.passed[("GET", PULL)] >= 1
    assert heard(chain, "F1") == after_quiet  # its pulls work, but nothing it sold arrived: not fresher

    pushes = []
    one_push = FaultyProxy(chain.hq.url, lambda method, path: path == PUSH and (pushes.append(path) or len(pushes) > 1))
    try:
        partly = chain.sync_once("F1", POS_HQ_URL=one_push.url, POS_SYNC_BATCH=1).stdout
    finally:
        one_push.close()
    assert "push failed after 1 change(s)" in partly, partly
    waiting = waiting_at_store(chain, "F1")
    assert len(waiting) == 5  # three sales and their fiscal outcomes, less the one change that arrived
    assert heard(chain, "F1") == waiting[0]  # everything before the oldest change still waiting has arrived

    drained = chain.sync_once("F1").stdout
    assert "5 change(s) sent, 5 newly applied at HQ, 0 already there" in drained, drained
    assert heard(chain, "F1") > waiting[0] and not waiting_at_store(chain, "F1")
    assert set(hq_sales(chain, "F1")) == {sale["id"] for sale in made}
    node.stop()
