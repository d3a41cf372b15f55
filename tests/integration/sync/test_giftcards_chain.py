"""Gift cards across the chain, each node a real process: HQ on PostgreSQL holds the balance, stores S1 and S2
on SQLite ask it online, S1 spends its offline allowance while HQ is down, and the spend reaches HQ with the
store's push; a card S1 sells reaches HQ the same way."""
from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from pos.db import Database
from pos.giftcards.models import GiftCard, GiftCardEntry, GiftCardLease
from tests.integration.sync.chain import Till, flask


def hq_card(chain, code: str):
    db = Database(chain.hq_db)
    try:
        with db.unit_of_work(read_only=True) as uow:
            card = uow.session.scalars(select(GiftCard).where(GiftCard.code == code)).one_or_none()
            if card is None:
                return None, [], {}
            entries = [(e.kind, e.amount, e.offline, e.channel) for e in uow.session.scalars(
                select(GiftCardEntry).where(GiftCardEntry.card_id == card.id).order_by(GiftCardEntry.created_at))]
            leases = {lease.store: lease.amount for lease in uow.session.scalars(
                select(GiftCardLease).where(GiftCardLease.card_id == card.id))}
            return card.balance, entries, leases
    finally:
        db.dispose()


def pay_with_card(till: Till, code: str, amount: int, expect=(201,)):
    basket = till.call("POST", "/api/v1/baskets", json={})
    basket = till.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": "SKU-000003", "quantity": 30})
    assert basket["total"] > amount
    payments = [{"method": "gift_card", "amount": amount, "reference": code},
                {"method": "card", "amount": basket["total"] - amount}]
    answer = till.http.post(f"{till.url}/api/v1/baskets/{basket['id']}/checkout", json={"payments": payments},
                            timeout=30)
    assert answer.status_code in expect, answer.text
    if answer.status_code >= 400:
        till.call("POST", f"/api/v1/baskets/{basket['id']}/cancel")
    return answer.json()


def test_a_store_spends_online_then_offline_within_its_allowance_and_hq_gets_it_on_reconnect(chain):
    issued = flask(chain.hq.env, "giftcards", "issue", "10000").stdout
    code = re.search(r"(GC-[A-Z0-9-]+)", issued).group(1).replace("-", "")
    s1, s2 = Till(chain.stores["S1"]), Till(chain.stores["S2"])
    s1.open_shift(), s2.open_shift()

    looked = s1.call("GET", f"/api/v1/gift-cards/{code}")
    assert looked["source"] == "hq" and looked["balance"] == 10000
    pay_with_card(s1, code, 2000)  # online: HQ spends it at once and leases S1 an allowance
    balance, entries, leases = hq_card(chain, code)
    assert balance == 8000 and entries[-1][:3] == ("redeem", -2000, False) and leases == {"S1": 8000}

    chain.hq.stop()
    try:
        pay_with_card(s1, code, 3000)  # offline, from S1's allowance
        short = pay_with_card(s1, code, 5001, expect=(409,))
        assert short["type"].endswith("/gift-card-offline-short") and short["spendable"] == 5000
        assert short["invalid_params"][0]["name"] == "payments[0].amount"
        elsewhere = pay_with_card(s2, code, 100, expect=(409,))  # S2 holds nothing of the card
        assert elsewhere["type"].endswith("/gift-card-offline")
        assert s1.call("GET", f"/api/v1/gift-cards/{code}")["source"] == "local"
        sold = s1.call("POST", "/api/v1/baskets", json={})
        s1.call("POST", f"/api/v1/baskets/{sold['id']}/gift-cards", json={"amount": 4000})
        sale = s1.call("POST", f"/api/v1/baskets/{sold['id']}/checkout",
                       json={"payments": [{"method": "cash", "amount": 4000}]})
        new_code = sale["gift_cards"][0]["code"]
        assert s1.call("GET", f"/api/v1/sales/{sale['id']}")["gift_cards"][0]["code"] == new_code  # reprints
    finally:
        chain.hq.start()
    assert hq_card(chain, code)[0] == 8000  # HQ has not heard yet
    chain.sync_once("S1")
    balance, entries, leases = hq_card(chain, code)
    assert balance == 5000 and entries[-1][:3] == ("redeem", -3000, True) and leases == {"S1": 5000}
    assert chain.sync_once("S1").stdout  # sent again changes nothing
    assert hq_card(chain, code)[0] == 5000
    db = Database(chain.hq_db)
    with db.unit_of_work(read_only=True) as uow:  # the sale that sold it is at HQ too, not quarantined
        from pos.sales.models import Sale
        assert uow.session.get(Sale, uuid.UUID(sale["id"])).total == 4000
    db.dispose()
    new_balance, new_entries, _ = hq_card(chain, new_code)
    assert new_balance == 4000 and new_entries[0][:2] == ("issue", 4000) and new_entries[0][3] == "store:S1"
    pay_with_card(s2, new_code, 1500)  # the card S1 sold, spent at S2 through HQ
    assert hq_card(chain, new_code)[0] == 2500
