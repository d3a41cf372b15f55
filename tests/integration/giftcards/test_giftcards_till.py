"""Gift cards at a standalone till (the balance in the till's own database), on SQLite and PostgreSQL:
sold as a line that is not a supply, paid with partly across visits, expiry, refunds back to the card."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from pos.devices.documents import fiscal_receipt, only_gift_cards
from pos.giftcards.models import GiftCard, GiftCardEntry
from tests.conftest import login


def basket(api) -> str:
    response = api.post("/api/v1/baskets", json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def add_sku(api, basket_id, sku="SKU-000001", quantity=1) -> dict:
    response = api.post(f"/api/v1/baskets/{basket_id}/lines", json={"sku": sku, "quantity": quantity})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pay(api, basket_id, payments, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"/api/v1/baskets/{basket_id}/checkout", json={"payments": payments}, headers=headers)


def sell_card(api, amount: int) -> dict:
    basket_id = basket(api)
    response = api.post(f"/api/v1/baskets/{basket_id}/gift-cards", json={"amount": amount})
    assert response.status_code == 201, response.get_json()
    sale = pay(api, basket_id, [{"method": "cash", "amount": amount}])
    assert sale.status_code == 201, sale.get_json()
    return sale.get_json()


def balance(app, code: str) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(GiftCard.balance).where(GiftCard.code == code))


def test_a_card_sold_at_the_till_is_issued_and_is_not_on_the_fiscal_receipt(app, till):
    sale = sell_card(till, 10000)
    [card] = sale["gift_cards"]
    assert card["amount"] == 10000 and card["code"].startswith("GC") and len(card["code"]) == 18
    assert balance(app, card["code"]) == 10000
    [line] = sale["lines"]
    assert line["sku"] == "GIFT-CARD" and line["vat_rate_bp"] is None  # PL: outside VAT when sold
    assert sale["vat"] == [{"vat_group": "E", "vat_rate_bp": None, "gross": 10000, "vat": 0}]
    assert only_gift_cards(sale)  # the fiscal printer gets nothing: the sale is recorded not_fiscal
    from pos.stock.models import StockMovement
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:  # a card is no stock
        assert uow.session.scalars(select(StockMovement).where(StockMovement.reference_id == uuid.UUID(sale["id"]))).all() == []
    again = till.get(f"/api/v1/sales/{sale['id']}").get_json()
    assert again["gift_cards"] == [card]
    from hardware.receipt_printer.layout import layout_receipt
    from pos.devices.documents import receipt_document
    from pos.stores.models import Location
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        location = uow.session.scalars(select(Location)).first()
        document = receipt_document(again, location=location, cashier_name="Demo", language="pl",
                                    timezone="Europe/Warsaw")
    printout = layout_receipt(document)
    assert card["printed"].encode() in printout  # the code to scan (or type) when the card pays
    assert card["code"].encode() in printout  # in the Code 128 barcode
    looked = till.get(f"/api/v1/gift-cards/{card['printed'].lower()}").get_json()
    assert looked["balance"] == 10000 and looked["spendable"] == 10000 and not looked["expired"]


def test_goods_and_a_card_in_one_sale_put_only_the_goods_on_the_fiscal_receipt(till):
    basket_id = basket(till)
    goods = add_sku(till, basket_id)["total"]
    till.post(f"/api/v1/baskets/{basket_id}/gift-cards", json={"amount": 5000})
    sale = pay(till, basket_id, [{"method": "card", "amount": 5000}, {"method": "cash", "amount": goods}]).get_json()
    receipt = fiscal_receipt(sale, "Demo")
    assert [line.code for line in receipt.lines] == ["SKU-000001"]
    assert receipt.total == goods
    assert sum(p.amount for p in receipt.payments) == goods


def test_a_card_cannot_pay_for_a_card(till):
    code = sell_card(till, 3000)["gift_cards"][0]["code"]
    basket_id = basket(till)
    till.post(f"/api/v1/baskets/{basket_id}/gift-cards", json={"amount": 1000})
    refused = pay(till, basket_id, [{"method": "gift_card", "amount": 1000, "reference": code}])
    assert refused.status_code == 422
    assert refused.get_json()["invalid_params"][0]["name"] == "payments[0].method"


def test_paying_partly_with_a_card_across_two_visits_and_the_voucher_payment_form(app, till):
    code = sell_card(till, 5000)["gift_cards"][0]["code"]
    first = basket(till)
    total = add_sku(till, first, quantity=2)["total"]
    assert total > 3000
    sale = pay(till, first, [{"method": "gift_card", "amount": 3000, "reference": code},
                             {"method": "cash", "amount": total - 3000}], key="visit-1")
    assert sale.status_code == 201, sale.get_json()
    assert balance(app, code) == 2000
    # the fiscal printer is told it was paid by voucher (POSNET form 7, Novitus voucher, Checkbox CASHLESS)
    receipt = fiscal_receipt(sale.get_json(), "Demo")
    assert [(p.method, p.amount, p.name) for p in receipt.payments][0] == ("voucher", 3000, "Karta podarunkowa")
    # the same checkout again (a retry) spends nothing more
    assert pay(till, first, [{"method": "gift_card", "amount": 3000, "reference": code},
                             {"method": "cash", "amount": total - 3000}], key="visit-1").status_code == 200
    assert balance(app, code) == 2000
    second = basket(till)
    total = add_sku(till, second, "SKU-000002")["total"]
    too_much = pay(till, second, [{"method": "gift_card", "amount": 2001, "reference": code},
                                  {"method": "cash", "amount": max(total - 2001, 1)}])
    assert too_much.status_code == 409
    assert too_much.get_json()["invalid_params"][0]["name"] == "amount"
    assert too_much.get_json()["spendable"] == 2000
    rest = pay(till, second, [{"method": "gift_card", "amount": min(2000, total), "reference": code}]
               + ([{"method": "cash", "amount": total - 2000}] if total > 2000 else []))
    assert rest.status_code == 201, rest.get_json()
    assert balance(app, code) == max(0, 2000 - total)


def test_a_mistyped_or_unknown_code_names_the_payment(till):
    basket_id = basket(till)
    total = add_sku(till, basket_id)["total"]
    bad = pay(till, basket_id, [{"method": "gift_card", "amount": total, "reference": "GC-123"}])
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "payments[0].reference"
    unknown = pay(till, basket_id, [{"method": "gift_card", "amount": total, "reference": "GC" + "A" * 16}])
    assert unknown.status_code == 404 and unknown.get_json()["invalid_params"][0]["name"] == "payments[0].reference"


def test_an_expired_card_is_refused(app, till):
    code = sell_card(till, 5000)["gift_cards"][0]["code"]
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(GiftCard).where(GiftCard.code == code).values(
            expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)))
        uow.commit()
    basket_id = basket(till)
    total = add_sku(till, basket_id)["total"]
    refused = pay(till, basket_id, [{"method": "gift_card", "amount": min(total, 5000), "reference": code}]
                  + ([{"method": "cash", "amount": total - 5000}] if total > 5000 else []))
    assert refused.status_code == 409 and refused.get_json()["type"].endswith("/gift-card-expired")
    from pos.giftcards.services import expire_cards, liability
    with app.extensions["pos.db"].unit_of_work() as uow:
        assert expire_cards(uow.session) == 1
        uow.commit()
    assert balance(app, code) == 0
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        [row] = liability(uow.session)
    assert row["expired_unredeemed"] == 5000 and row["outstanding"] == 0 and row["issued"] == 5000


def test_returned_goods_paid_by_card_go_back_on_the_card(app, client, till):
    code = sell_card(till, 50000)["gift_cards"][0]["code"]
    basket_id = basket(till)
    total = add_sku(till, basket_id, quantity=2)["total"]
    sale = pay(till, basket_id, [{"method": "gift_card", "amount": total, "reference": code}]).get_json()
    assert balance(app, code) == 50000 - total
    response = till.post("/api/v1/returns", json={
        "sale_id": sale["id"], "lines": [{"sale_line_id": sale["lines"][0]["id"], "quantity": 1}],
        "approval": {"login": "boss", "pin": "9999"}, "reason": "faulty"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["refunds"] == [{"method": "gift_card", "amount": total // 2}]
    assert balance(app, code) == 50000 - total + total // 2
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        kinds = [e.kind for e in uow.session.scalars(select(GiftCardEntry).join(GiftCard).where(
            GiftCard.code == code).order_by(GiftCardEntry.created_at))]
    assert kinds == ["issue", "redeem", "refund"]


def test_a_card_line_itself_cannot_be_returned(till):
    sale = sell_card(till, 2000)
    response = till.post("/api/v1/returns", json={
        "sale_id": sale["id"], "lines": [{"sale_line_id": sale["lines"][0]["id"], "quantity": 1}],
        "approval": {"login": "boss", "pin": "9999"}, "reason": "changed mind"})
    assert response.status_code == 422
    assert response.get_json()["invalid_params"][0]["name"] == "lines[0].sale_line_id"


def test_a_manager_issues_a_card_and_reads_the_liability(client, till):
    boss = login(client, "boss", "9999", "T2")
    assert till.post("/api/v1/gift-cards", json={"amount": 100}, headers={"Idempotency-Key": "x"}).status_code == 403
    issued = boss.post("/api/v1/gift-cards", json={"amount": 2500}, headers={"Idempotency-Key": "goodwill-1"})
    assert issued.status_code == 201, issued.get_json()
    again = boss.post("/api/v1/gift-cards", json={"amount": 2500}, headers={"Idempotency-Key": "goodwill-1"})
    assert again.status_code == 200 and again.get_json()["code"] == issued.get_json()["code"]
    [row] = boss.get("/api/v1/gift-cards/liability").get_json()["currencies"]
    assert row == {"currency": "PLN", "cards": 1, "outstanding": 2500, "expired_unredeemed": 0, "expired_cards": 0,
                   "issued": 2500, "redeemed": 0}
    missing = boss.post("/api/v1/gift-cards", json={"amount": 0}, headers={"Idempotency-Key": "k"})
    assert missing.status_code == 422 and missing.get_json()["invalid_params"][0]["name"] == "amount"


def test_a_manager_lists_and_resolves_an_offline_overspend_incident(app, client, till):
    from pos.giftcards import services
    now = dt.datetime.now(dt.timezone.utc)
    with app.extensions["pos.db"].unit_of_work() as uow:
        card, _ = services.issue(uow.session, amount=1000, currency="PLN", key="k", issued_by="hq:boss")
        services.apply_offline_spend(uow.session, "S9", {"key": "till:S9:1", "code": card.code, "amount": 1500,
                                                        "reference": "sale-x", "at": now.isoformat()})
        uow.commit()
    assert balance(app, card.code) == 0  # what it had, never below zero
    boss = login(client, "boss", "9999", "T2")
    assert till.get("/api/v1/gift-card-incidents").status_code == 403
    [incident] = boss.get("/api/v1/gift-card-incidents").get_json()["items"]
    assert (incident["store"], incident["asked"], incident["taken"], incident["short"]) == ("S9", 1500, 1000, 500)
    no_note = boss.post(f"/api/v1/gift-card-incidents/{incident['id']}/resolve", json={"note": ""})
    assert no_note.status_code == 422 and no_note.get_json()["invalid_params"][0]["name"] == "note"
    done = boss.post(f"/api/v1/gift-card-incidents/{incident['id']}/resolve", json={"note": "paid 5 zł cash"})
    assert done.status_code == 200 and done.get_json()["status"] == "resolved"
    assert boss.get("/api/v1/gift-card-incidents").get_json()["items"] == []
