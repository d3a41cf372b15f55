"""Gift cards at HQ on PostgreSQL: the web shop's API (scoped key, Idempotency-Key), stores asking online
(their sync token; the offline allowance leased out of the spendable balance), offline spends applied on
reconnect (an incident, never a negative balance), and three processes racing on one card."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from sqlalchemy import select

from pos.giftcards import services
from pos.giftcards.models import GiftCard, GiftCardEntry, GiftCardIncident, GiftCardLease
from pos.stores.auth import issue_token
from pos.stores.models import Location, StoreContact
from sync.webshop.keys import add_client
from tests.conftest import ROOT, make_test_app


@pytest.fixture
def hq(postgres_url, tmp_path):
    from tests.conftest import _truncate_postgres
    _truncate_postgres(postgres_url)
    app = make_test_app(postgres_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="HQ",
                        POS_GIFT_CARD_OFFLINE_ALLOWANCE=3000)
    yield app
    app.extensions["pos.db"].dispose()


def store_token(app, code: str) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        location = Location(code=code, name=f"Sklep {code}", kind="store", country="PL", currency="PLN",
                            address="", tax_id="")
        uow.session.add(location)
        uow.session.flush()
        uow.session.add(StoreContact(location_id=location.id))
        token = issue_token(uow.session, location)
        uow.commit()
    return token


def web_key(app, scopes=("giftcards:read", "giftcards:write")) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        _client, key = add_client(uow.session, f"shop-{uuid.uuid4().hex[:6]}", list(scopes))
        uow.commit()
    return key


def new_card(app, amount: int) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        card, _ = services.issue(uow.session, amount=amount, currency="PLN", key=str(uuid.uuid4()), issued_by="hq:test")
        uow.commit()
        return card.code


def balance(app, code):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(GiftCard.balance).where(GiftCard.code == code))


def bearer(token, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def test_the_web_shop_looks_up_and_spends_a_card_once_per_key(hq):
    client, key, code = hq.test_client(), web_key(hq), new_card(hq, 10000)
    looked = client.get(f"/api/v1/web/gift-cards/{services.printed(code)}", headers=bearer(key))
    assert looked.status_code == 200 and looked.get_json()["spendable"] == 10000
    body = {"amount": 4000, "currency": "PLN", "order_id": "W-1"}
    first = client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json=body, headers=bearer(key, "order-W-1"))
    assert first.status_code == 201, first.get_json()
    again = client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json=body, headers=bearer(key, "order-W-1"))
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert balance(hq, code) == 6000
    other = client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json={**body, "amount": 1},
                        headers=bearer(key, "order-W-1"))
    assert other.status_code == 422 and other.get_json()["invalid_params"][0]["name"] == "Idempotency-Key"
    short = client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json={**body, "amount": 6001},
                        headers=bearer(key, "order-W-2"))
    assert short.status_code == 409 and short.get_json()["spendable"] == 6000
    refund = client.post(f"/api/v1/web/gift-cards/{code}/refunds", json={"amount": 1000, "order_id": "W-1"},
                         headers=bearer(key, "return-W-1"))
    assert refund.status_code == 201 and balance(hq, code) == 7000
    no_key = client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json=body, headers=bearer(key))
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.get_json()["invalid_params"][0]["name"]
    wrong_currency = client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json={**body, "currency": "CZK"},
                                 headers=bearer(key, "order-W-3"))
    assert wrong_currency.status_code == 422 and wrong_currency.get_json()["invalid_params"][0]["name"] == "currency"
    read_only = web_key(hq, ("giftcards:read",))
    assert client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json=body,
                       headers=bearer(read_only, "k")).status_code == 403
    bad = client.get("/api/v1/web/gift-cards/nonsense", headers=bearer(key))
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "code"


def test_a_store_online_gets_an_offline_allowance_that_nobody_else_may_spend(hq):
    client, s1, key, code = hq.test_client(), store_token(hq, "S1"), web_key(hq), new_card(hq, 10000)
    looked = client.get(f"/api/v1/gift-cards/{code}", headers=bearer(s1)).get_json()
    assert looked["allowance"]["amount"] == 3000  # POS_GIFT_CARD_OFFLINE_ALLOWANCE
    web = client.get(f"/api/v1/web/gift-cards/{code}", headers=bearer(key)).get_json()
    assert web["balance"] == 10000 and web["spendable"] == 7000 and web["held_by_stores"] == 3000
    refused = client.post(f"/api/v1/web/gift-cards/{code}/redemptions",
                          json={"amount": 7001, "currency": "PLN"}, headers=bearer(key, "w1"))
    assert refused.status_code == 409
    spent = client.post(f"/api/v1/gift-cards/{code}/redemptions", json={"amount": 9000, "currency": "PLN",
                                                                         "reference": "sale-1"},
                        headers=bearer(s1, "till:b1:pay1"))
    assert spent.status_code == 201, spent.get_json()  # the store may spend its own lease online too
    assert spent.get_json()["balance"] == 1000 and spent.get_json()["allowance"]["amount"] == 1000
    replay = client.post(f"/api/v1/gift-cards/{code}/redemptions", json={"amount": 9000, "currency": "PLN",
                                                                          "reference": "sale-1"},
                         headers=bearer(s1, "till:b1:pay1"))
    assert replay.status_code == 200 and replay.get_json()["replayed"] and balance(hq, code) == 1000


def test_offline_spends_come_in_with_the_push_and_an_overspend_is_an_incident(hq):
    from sync.replication.apply import apply_batch
    client, s1, s2, key = hq.test_client(), store_token(hq, "S1"), store_token(hq, "S2"), web_key(hq)
    code = new_card(hq, 5000)
    assert client.get(f"/api/v1/gift-cards/{code}", headers=bearer(s1)).get_json()["allowance"]["amount"] == 3000
    assert client.get(f"/api/v1/gift-cards/{code}", headers=bearer(s2)).get_json()["allowance"]["amount"] == 2000
    # S2's lease is taken away (it ran out); the web shop spends what S2 had held
    with hq.extensions["pos.db"].unit_of_work() as uow:
        lease = uow.session.scalars(select(GiftCardLease).where(GiftCardLease.store == "S2")).one()
        spent_at = lease.expires_at
        lease.expires_at = lease.granted_at
        uow.commit()
    assert client.post(f"/api/v1/web/gift-cards/{code}/redemptions", json={"amount": 2000, "currency": "PLN"},
                       headers=bearer(key, "w")).status_code == 201

    def change(store_seq, store, amount, at):
        return {"id": str(uuid.uuid4()), "seq": store_seq, "entity": "gift_card", "entity_id": str(uuid.uuid4()),
                "op": "created", "payload": {"op": "redeemed_offline", "key": f"till:{store}:{store_seq}",
                                             "code": code, "amount": amount, "currency": "PLN",
                                             "reference": "sale", "at": at}}

    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    with hq.extensions["pos.db"].unit_of_work() as uow:
        s1_location = uow.session.scalars(select(Location).where(Location.code == "S1")).one()
        s2_location = uow.session.scalars(select(Location).where(Location.code == "S2")).one()
        one = change(1, "S1", 2500, now)
        answer = apply_batch(uow.session, s1_location, [one, one])
        assert answer["quarantined"] == 0, answer
        # S2 spent offline after its lease had ended at HQ: the card has 500 left, and S1 still holds those
        late = (spent_at + dt.timedelta(seconds=1)).isoformat()
        assert apply_batch(uow.session, s2_location, [change(1, "S2", 1500, late)])["quarantined"] == 0
        uow.commit()
    assert balance(hq, code) == 500  # never below zero, and S1's remaining allowance stays fenced
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        [incident] = uow.session.scalars(select(GiftCardIncident)).all()
        assert (incident.store, incident.asked, incident.taken, incident.short) == ("S2", 1500, 0, 1500)
        offline = uow.session.scalars(select(GiftCardEntry).where(GiftCardEntry.offline)).all()
        assert [-e.amount for e in offline] == [2500]
    boss_incidents = services.incidents
    with hq.extensions["pos.db"].unit_of_work() as uow:
        assert [i.short for i in boss_incidents(uow.session)] == [1500]
        services.resolve_incident(uow.session, incident.id, "customer paid the rest in cash")
        uow.commit()


RACER = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, {root!r})
    from pos import create_app
    url, auth, path, key, body, go = sys.argv[1:7]
    app = create_app({{"TESTING": True, "POS_DATABASE_URL": url, "POS_ROLE": "hq", "SECRET_KEY": "t",
                      "POS_ALLOW_REAL_DEVICES": False, "POS_DEVICE_DIR": sys.argv[7],
                      "POS_GIFT_CARD_OFFLINE_ALLOWANCE": 0}})
    client = app.test_client()
    client.get("/api/v1/health")  # connections open, imports done: the race is only the redemption
    open(go + "." + str(os.getpid()), "w").close()  # ready
    while not os.path.exists(go):
        time.sleep(0.001)
    response = client.post(path, data=body, content_type="application/json",
                           headers={{"Authorization": "Bearer " + auth, "Idempotency-Key": key}})
    print(json.dumps({{"status": response.status_code, "body": response.get_json()}}))
""")


def race(hq, tmp_path, code, racers):
    """Each racer a process of its own with its own HQ app and connection; all released at once."""
    script = tmp_path / "racer.py"
    script.write_text(RACER.format(root=str(ROOT)))
    go = tmp_path / f"go-{uuid.uuid4().hex}"
    processes = [subprocess.Popen([sys.executable, str(script), hq.config["POS_DATABASE_URL"], auth, path, key,
                                   json.dumps(body), str(go), str(tmp_path / "devices")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for auth, path, key, body in racers]
    while len(list(tmp_path.glob(go.name + ".*"))) < len(processes):  # every racer ready at the line
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    go.write_text("go")  # released together
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_stores_and_the_web_shop_racing_on_one_card_spend_it_once(hq, tmp_path):
    s1, s2, key, code = store_token(hq, "S1"), store_token(hq, "S2"), web_key(hq), new_card(hq, 10000)
    body = {"amount": 6000, "currency": "PLN", "reference": "r"}
    results = race(hq, tmp_path, code, [
        (s1, f"/api/v1/gift-cards/{code}/redemptions", "till:S1:1", body),
        (s2, f"/api/v1/gift-cards/{code}/redemptions", "till:S2:1", body),
        (key, f"/api/v1/web/gift-cards/{code}/redemptions", "order-1",
         {"amount": 6000, "currency": "PLN", "order_id": "W-1"}),
    ])
    statuses = sorted(r["status"] for r in results)
    assert statuses == [201, 409, 409], results
    assert balance(hq, code) == 4000
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert len(uow.session.scalars(select(GiftCardEntry).where(GiftCardEntry.kind == "redeem")).all()) == 1


def test_one_redemption_sent_by_three_processes_with_its_key_is_spent_once(hq, tmp_path):
    s1, code = store_token(hq, "S1"), new_card(hq, 10000)
    body = {"amount": 2500, "currency": "PLN", "reference": "sale-1"}
    results = race(hq, tmp_path, code, [(s1, f"/api/v1/gift-cards/{code}/redemptions", "till:b1:pay1", body)] * 3)
    assert sorted(r["status"] for r in results) == [200, 200, 201], results
    assert {r["body"]["id"] for r in results} == {results[0]["body"]["id"]}
    assert balance(hq, code) == 7500
