"""One bad change never blocks a store's queue, and a store writes only its own locations, across real
processes: HQ (gunicorn on PostgreSQL) quarantines what it refuses, the store (SQLite) moves past it with
a note and its later sales arrive; an operator replays or discards with `flask quarantine …`, audited."""
from __future__ import annotations

import copy
import json
import re
import uuid

from sqlalchemy import create_engine, func, select

from pos.catalogue.models import Product
from pos.db import Database
from pos.feed.models import Change
from pos.feed.services import record_change
from pos.sales.models import Sale
from pos.staff.models import AuditEntry
from pos.stock.models import StockLevel
from pos.stores.models import Location, SyncCursor
from pos.terminal.i18n import compile_catalogues
from sync.quarantine.models import QuarantinedChange, RefusedAtHq
from tests.integration.sync.chain import Till, flask

SKU = "SKU-000000"


def at_hq(chain, statement):
    engine = create_engine(chain.hq_db)
    with engine.connect() as connection:
        result = connection.execute(statement).all()
    engine.dispose()
    return result


def on_hand_at_hq(chain, code: str) -> int:
    return at_hq(chain, select(func.coalesce(func.sum(StockLevel.on_hand), 0)).join(
        Location, Location.id == StockLevel.location_id).join(Product, Product.id == StockLevel.product_id)
        .where(Location.code == code, Product.sku == SKU))[0][0]


def slip_into_feed(chain, code: str, *entries) -> list[int]:
    """Changes a broken or tampered store would send: written straight into its own feed."""
    db = Database(chain.store_db[code])
    with db.unit_of_work() as uow:
        for entity, payload in entries:
            record_change(uow.session, entity, payload["id"], payload)
        uow.commit()
        seqs = list(uow.session.scalars(select(Change.seq).order_by(Change.seq.desc()).limit(len(entries))))
    db.dispose()
    return sorted(seqs)


def store_state(chain, code: str) -> dict:
    db = Database(chain.store_db[code])
    with db.unit_of_work(read_only=True) as uow:
        state = {"sales": set(uow.session.scalars(select(Sale.id))),
                 "last_seq": uow.session.scalar(select(func.max(Change.seq))),
                 "cursor": uow.session.get(SyncCursor, "push").position,
                 "refused": {row.seq: row.problem for row in uow.session.scalars(select(RefusedAtHq))},
                 "last_sale": uow.session.scalars(select(Change.payload).where(Change.entity == "sale")
                                                  .order_by(Change.seq.desc())).first()}
    db.dispose()
    return state


def test_refused_changes_are_quarantined_the_queue_moves_and_an_operator_replays_or_discards(chain, tmp_path):
    till = Till(chain.stores["S1"])
    till.open_shift()
    first = till.sell([SKU])
    product_id = at_hq(chain, select(Product.id).where(Product.sku == SKU))[0][0]
    s2_before, warehouse_before = on_hand_at_hq(chain, "S2"), on_hand_at_hq(chain, "HQ")

    beyond_bigint = copy.deepcopy(store_state(chain, "S1")["last_sale"])
    beyond_bigint.update(id=str(uuid.uuid4()), receipt_number=2 ** 70)
    for line in beyond_bigint["lines"]:
        line["id"] = str(uuid.uuid4())
    phantom = {"id": str(uuid.uuid4()), "kind": "receipt", "location": "S2", "to_location": None, "reason": "receipt",
               "reference": "", "note": "", "lines": [], "created_at": first["created_at"],
               "movements": [{"product_id": str(product_id), "sku": SKU, "quantity": 500, "reason": "receipt"}],
               "arrivals": []}
    malformed = {"id": str(uuid.uuid4()), "terminal": "T1"}
    bad_seqs = slip_into_feed(chain, "S1", ("stock_document", phantom), ("shift", malformed),
                              ("sale", beyond_bigint))
    later = [till.sell([SKU]), till.sell([SKU, "SKU-000001"])]

    output = chain.sync_once("S1").stdout
    assert "3 quarantined there" in output, output
    store = store_state(chain, "S1")
    assert store["cursor"] == store["last_seq"]  # moved past what HQ refused
    assert set(store["refused"]) == set(bad_seqs)
    assert store["refused"][bad_seqs[0]]["status"] == 403
    assert store["refused"][bad_seqs[0]]["invalid_params"][0]["name"].endswith("payload.location")
    assert store["refused"][bad_seqs[2]]["invalid_params"][0]["name"].endswith("payload.receipt_number")
    hq_sales = {row[0] for row in at_hq(chain, select(Sale.id).join(Location, Location.id == Sale.location_id)
                                        .where(Location.code == "S1"))}
    assert hq_sales == store["sales"]  # every real sale, before and after the bad ones
    assert {uuid.UUID(first["id"]), *(uuid.UUID(s["id"]) for s in later)} <= hq_sales
    assert on_hand_at_hq(chain, "S2") == s2_before and on_hand_at_hq(chain, "HQ") == warehouse_before
    assert "0 change(s) sent" in chain.sync_once("S1").stdout  # nothing stuck, nothing sent again
    status = till.call("GET", "/api/v1/sync/status")
    assert status["backlog"]["changes"] == 0 and status["refused_at_hq"]["changes"] == 3

    compile_catalogues()
    operator = {**chain.hq.env, "POS_LANGUAGE": "en"}
    listed = flask(operator, "quarantine", "list", "--store", "S1").stdout
    ids = {int(seq): qid for qid, seq in re.findall(r"^(\S+)  S1  seq (\d+) ", listed, re.M)}
    assert set(ids) == set(bad_seqs) and "held 3" in listed, listed
    shown = json.loads(flask(operator, "quarantine", "show", ids[bad_seqs[2]]).stdout)
    assert shown["payload"]["receipt_number"] == 2 ** 70 and shown["status"] == "held"

    wrong = flask({**operator, "POS_LANGUAGE": "pl"}, "quarantine", "discard", ids[bad_seqs[0]], "--note", "x",
                  "--manager", "boss", input="0000\n", check=False)
    assert wrong.returncode != 0 and "błędny PIN; nic nie zostało zmienione" in wrong.stderr  # in the node's language
    again = flask(operator, "quarantine", "replay", ids[bad_seqs[1]], "--manager", "boss", input="9999\n",
                  check=False)
    assert again.returncode != 0 and "Refused again" in again.stderr and "payload.currency" in again.stderr

    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**shown["payload"], "receipt_number": 900001}))
    replayed = flask(operator, "quarantine", "replay", ids[bad_seqs[2]], "--payload-file", str(fixed),
                     "--note", "receipt number garbled by a restore", "--manager", "boss", input="9999\n")
    assert "Replayed" in replayed.stdout
    discarded = flask(operator, "quarantine", "discard", ids[bad_seqs[0]], "--manager", "boss",
                      "--note", "no such delivery to S2", input="9999\n")
    assert "Discarded" in discarded.stdout

    assert at_hq(chain, select(Sale.receipt_number).where(Sale.id == uuid.UUID(beyond_bigint["id"]))) == [(900001,)]
    assert on_hand_at_hq(chain, "S2") == s2_before
    statuses = dict(at_hq(chain, select(QuarantinedChange.seq, QuarantinedChange.status).join(
        Location, Location.id == QuarantinedChange.location_id).where(Location.code == "S1")))
    assert statuses == {bad_seqs[0]: "discarded", bad_seqs[1]: "held", bad_seqs[2]: "replayed"}
    audit = {action: details for action, details in at_hq(chain, select(AuditEntry.action, AuditEntry.details)
                                                           .where(AuditEntry.action.like("quarantine_%")))}
    assert audit["quarantine_replay"]["fixed"] is True and audit["quarantine_replay"]["seq"] == bad_seqs[2]
    assert audit["quarantine_discard"]["note"] == "no such delivery to S2"


def test_a_return_of_another_stores_sale_waits_in_the_quarantine_until_hq_authorises_it(chain):
    theirs = Till(chain.stores["S2"])
    theirs.open_shift()
    sale = theirs.sell([SKU])
    chain.sync_once("S2")
    line = sale["lines"][0]
    taken_back = {"id": str(uuid.uuid4()), "sale_id": sale["id"], "store": "S1", "terminal": "T1",
                  "created_at": sale["created_at"], "currency": "PLN", "total": line["amount"], "rounding": 0,
                  "reason": "bought in S2, brought back to S1", "approved_by": str(uuid.uuid4()),
                  "cashier_id": str(uuid.uuid4()), "shift_id": str(uuid.uuid4()),
                  "lines": [{"sale_line_id": line["id"], "quantity": 1, "amount": line["amount"]}],
                  "refunds": [{"method": "card", "amount": line["amount"]}]}
    [seq] = slip_into_feed(chain, "S1", ("return", taken_back))
    s1_before = on_hand_at_hq(chain, "S1")
    assert "1 quarantined there" in chain.sync_once("S1").stdout
    assert store_state(chain, "S1")["refused"][seq]["invalid_params"][0]["name"].endswith("payload.sale_id")
    assert on_hand_at_hq(chain, "S1") == s1_before

    operator = {**chain.hq.env, "POS_LANGUAGE": "en"}
    [(quarantine_id,)] = at_hq(chain, select(QuarantinedChange.id).where(QuarantinedChange.entity_id == taken_back["id"]))
    refused = flask(operator, "quarantine", "replay", str(quarantine_id), "--manager", "boss", input="9999\n",
                    check=False)
    assert refused.returncode != 0 and "HQ authorises" in refused.stderr  # not without HQ's word
    allowed = flask(operator, "quarantine", "allow-return", sale["id"], "S1", "--reason", "tourist",
                    "--manager", "boss", input="9999\n")
    assert "S1 may now take back" in allowed.stdout
    assert "Replayed" in flask(operator, "quarantine", "replay", str(quarantine_id), "--manager", "boss",
                               input="9999\n").stdout
    assert on_hand_at_hq(chain, "S1") == s1_before + 1  # the piece is back, at the store that took it
    assert at_hq(chain, select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "cross_store_return"))[0][0] == 1
