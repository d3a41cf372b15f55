"""Gift cards at the till: selling one (a line that is not a supply), paying with one (a tender), and a
return of goods paid with one (the money goes back on the card).

Where the balance lives decides how: at HQ and a standalone node the till's own database holds it; a store
asks HQ online and, while HQ is out of reach, spends from its offline allowance (a lease HQ took out of the
card's spendable balance for this store) and feeds the spend to HQ with its sales."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import current_app
from sqlalchemy import select

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.feed.services import record_change
from pos.giftcards import remote, services
from pos.giftcards.models import GiftCard, GiftCardAllowance
from pos.giftcards.services import GiftCardError, Policy, normalise
from pos.ids import new_id
from pos.problems import ApiProblem

SKU = "GIFT-CARD"
METHOD = "gift_card"
# The same product everywhere (HQ, every store): a store's sale of a card points at a product HQ has too.
PRODUCT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://pos.example/products/gift-card")
NAMES = {"PL": "Karta podarunkowa", "CZ": "Dárková karta", "UA": "Подарункова картка"}


def role() -> str:
    return current_app.config["POS_ROLE"]


def policy() -> Policy:
    return Policy.from_config(current_app.config)


def not_supply_letter(vat_rates: dict) -> str:
    """The VAT letter a card's line carries: exempt where the country has it, else 0 %.  It never reaches
    the fiscal printer (a multi-purpose voucher is not a supply when sold); VAT falls due on the goods."""
    for letter, rate in vat_rates.items():
        if rate is None:
            return letter
    return next(letter for letter, rate in vat_rates.items() if rate == 0)


def ensure_product(session, country) -> Product:
    product = session.get(Product, PRODUCT_ID)
    if product is None:
        name = NAMES.get(country.code, "Gift card")
        product = Product(id=PRODUCT_ID, sku=SKU, name=name, search_name=name.casefold(), unit="pcs",
                          vat_group=not_supply_letter(country.vat_rates), price=0, currency=country.currency,
                          active=True)
        session.add(product)
        session.flush()
    return product


def check_tenders(lines: list[dict], tenders: list[dict]) -> None:
    """Before the sale is written: codes well formed (stored normalised), no card paid with a card."""
    sells_card = any(line["sku"] == SKU for line in lines)
    for line in lines:
        if line["sku"] == SKU and line["amount"] < line["quantity"]:
            raise ApiProblem(422, "gift-card-without-value", "basket_id: a gift card line must carry its value "
                             "(sell it with POST /api/v1/baskets/{id}/gift-cards)", field="basket_id")
    for index, tender in enumerate(tenders):
        if tender["method"] != METHOD:
            continue
        if sells_card:
            raise ApiProblem(422, "gift-card-for-gift-card",
                             f"payments[{index}].method: a gift card cannot pay for a gift card",
                             field=f"payments[{index}].method")
        tender["reference"] = normalise(tender["reference"], f"payments[{index}].reference")


def settle(session, till, sale: dict, lines: list[dict], tenders: list[dict], key_base: str) -> list[dict]:
    """After the sale is written, last before its commit: issue the cards it sold, spend the cards it was
    paid with.  Returns the cards sold (code, amount, expiry) for the till to show and print."""
    now = sale["created_at"]
    sold = []
    for line in lines:
        if line["sku"] != SKU:
            continue
        for piece in range(line["quantity"]):
            share = line["amount"] // line["quantity"] + (1 if piece < line["amount"] % line["quantity"] else 0)
            sold.append(_issue(session, till, share, sale, f"{key_base}:line{line['position']}:{piece}", now))
    for index, tender in enumerate(tenders):
        if tender["method"] == METHOD:
            _spend(session, till, tender["reference"], tender["amount"], sale["currency"],
                   f"{key_base}:pay{tender['position']}", str(sale["id"]), f"payments[{index}]", now)
    return sold


def _issue(session, till, amount: int, sale: dict, key: str, now: dt.datetime) -> dict:
    rules = policy()
    if role() != "store":
        card, _ = services.issue(session, amount=amount, currency=sale["currency"], key=key,
                                 issued_by=f"store:{till.location.code}", now=now, policy=rules, sale_id=sale["id"],
                                 customer_id=sale.get("customer_id"))
        code, expires_at = card.code, card.expires_at
    else:
        # HQ learns of the card with the sale (the same change feed, the same push); spendable once there.
        code, expires_at, card_id = services.new_code(), now + dt.timedelta(days=rules.valid_days), new_id()
        # The store's own copy (its receipt and reprints list it); HQ's is the one that counts.
        session.add(GiftCard(id=card_id, code=code, currency=sale["currency"], initial_amount=amount, balance=amount,
                             expires_at=expires_at, status="active", issued_at=now,
                             issued_by=f"store:{till.location.code}", sale_id=sale["id"],
                             customer_id=sale.get("customer_id"), issue_key=key))
        record_change(session, "gift_card", new_id(), {
            "op": "issued", "key": key, "card_id": str(card_id), "code": code, "amount": amount,
            "currency": sale["currency"], "expires_at": expires_at.isoformat(), "reference": str(sale["id"]),
            "at": now.isoformat()})
    return {"code": code, "printed": services.printed(code), "amount": amount, "currency": sale["currency"],
            "expires_at": expires_at.isoformat()}


def _spend(session, till, code: str, amount: int, currency: str, key: str, reference: str, field: str,
           now: dt.datetime) -> None:
    if role() != "store":
        services.redeem(session, code, amount, currency, key, channel=f"store:{till.location.code}",
                        reference=reference, now=now, field=f"{field}.reference")
        return
    if remote.online():
        try:
            status, body = remote.call("POST", f"/api/v1/gift-cards/{code}/redemptions", idempotency_key=key,
                                       json={"amount": amount, "currency": currency, "reference": reference})
        except remote.HqUnavailable:
            pass
        else:
            if status >= 400:
                raise _refusal(status, body, field)
            keep_allowance(session, code, currency, body.get("allowance"))
            return
    _spend_offline(session, code, amount, currency, key, reference, field, now)


def _refusal(status: int, body: dict, field: str) -> GiftCardError:
    slug = str(body.get("type", "")).rsplit("/", 1)[-1] or "gift-card-refused"
    name = f"{field}.amount" if slug == "gift-card-insufficient" else f"{field}.reference"
    detail = str(body.get("detail", "HQ refused the gift card"))
    extra = {k: body[k] for k in ("spendable", "currency", "expired_at") if k in body}
    return GiftCardError(status, slug, f"{name}: {detail.partition(': ')[2] or detail}", field=name, **extra)


def keep_allowance(session, code: str, currency: str, allowance: dict | None) -> None:
    """HQ's figure for this store's lease on the card (absolute: the newest answer wins)."""
    row = session.get(GiftCardAllowance, code)
    if allowance is None:
        if row is not None:
            row.amount = 0
        return
    values = dict(card_id=uuid.UUID(allowance["card_id"]), currency=currency, amount=allowance["amount"],
                  expires_at=dt.datetime.fromisoformat(allowance["expires_at"]),
                  card_expires_at=dt.datetime.fromisoformat(allowance["card_expires_at"]), updated_at=utcnow())
    if row is None:
        session.add(GiftCardAllowance(code=code, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()


def _spend_offline(session, code, amount, currency, key, reference, field, now) -> None:
    row = session.get(GiftCardAllowance, code)
    name = f"{field}.reference"
    if row is None or row.expires_at <= now or row.currency != currency:
        raise GiftCardError(409, "gift-card-offline",
                            f"{name}: HQ cannot be reached and this store may not spend this card offline "
                            f"(it was not used here online lately)", field=name, spendable=0)
    if row.card_expires_at <= now:
        raise GiftCardError(409, "gift-card-expired", f"{name}: the gift card expired on {row.card_expires_at.date()}",
                            field=name)
    if amount > row.amount:
        raise GiftCardError(409, "gift-card-offline-short",
                            f"{field}.amount: HQ cannot be reached; this store may spend {row.amount} of the card "
                            f"offline, {amount} asked", field=f"{field}.amount", spendable=row.amount,
                            currency=currency)
    row.amount -= amount
    row.updated_at = now
    record_change(session, "gift_card", new_id(), {"op": "redeemed_offline", "key": key, "code": code,
                                                   "amount": amount, "currency": currency, "reference": reference,
                                                   "at": now.isoformat()})


def refund_to_cards(session, till, returned, sale) -> None:
    """A return's refunds to gift-card tenders go back on those cards (once per refund)."""
    payments = {payment.id: payment for payment in sale.payments}
    now = returned.created_at
    for refund in returned.refunds:
        if refund.method != METHOD:
            continue
        code, key = payments[refund.payment_id].reference, f"return:{returned.id}:{refund.position}"
        if role() != "store":
            services.refund(session, code, refund.amount, key, channel=f"store:{till.location.code}",
                            reference=str(returned.id), now=now)
        else:
            record_change(session, "gift_card", new_id(), {"op": "refunded", "key": key, "code": code,
                                                           "amount": refund.amount, "currency": sale.currency,
                                                           "reference": str(returned.id), "at": now.isoformat()})


def lookup_at_till(session, code: str) -> dict:
    """The balance the cashier sees: HQ's (a store online; HQ; standalone) or this store's allowance."""
    if role() != "store":
        return {"source": "local", **services.lookup(session, code)}
    if remote.online():
        try:
            status, body = remote.call("GET", f"/api/v1/gift-cards/{code}")
        except remote.HqUnavailable:
            pass
        else:
            if status >= 400:
                raise _refusal(status, body, "code")
            keep_allowance(session, code, body["currency"], body.get("allowance"))
            return {"source": "hq", **body}
    row = session.get(GiftCardAllowance, code)
    if row is None:
        raise GiftCardError(409, "gift-card-offline",
                            "code: HQ cannot be reached and this store holds no offline allowance for the card",
                            field="code")
    expired = row.card_expires_at <= utcnow()
    spendable = 0 if expired or row.expires_at <= utcnow() else row.amount
    return {"source": "local", "code": code, "printed": services.printed(code), "currency": row.currency,
            "balance": None, "spendable": spendable, "expires_at": row.card_expires_at.isoformat(),
            "expired": expired, "allowance": {"amount": row.amount, "expires_at": row.expires_at.isoformat()}}


def sell_line(session, till, basket_id, amount: int):
    """A gift card of ``amount`` as a basket line (its value fixed on the line, like a price-embedded code)."""
    from pos.sales import baskets
    from pos.sales.models import BasketLine

    if not 0 < amount <= services.MAX_AMOUNT:
        raise ApiProblem(422, "invalid-amount", f"amount: between 1 and {services.MAX_AMOUNT} minor units",
                         field="amount")
    basket = baskets.load_basket(session, till, basket_id)
    ensure_product(session, till.settings.country)
    position = max((line.position for line in basket.lines), default=0) + 1
    session.add(BasketLine(id=new_id(), basket_id=basket.id, position=position, product_id=PRODUCT_ID, quantity=1,
                           unit_price=amount, fixed_amount=amount, discount=0, code=""))
    session.flush()
    return baskets.load_basket(session, till, basket_id)


def is_card_line(sku: str) -> bool:
    return sku == SKU


def cards_of_sale(session, sale_id) -> list[dict]:
    """The cards a sale sold, as its document lists them (the store keeps its own copy of each)."""
    from pos.giftcards.models import GiftCard
    return [{"code": card.code, "printed": services.printed(card.code), "amount": card.initial_amount,
             "currency": card.currency, "expires_at": card.expires_at.isoformat()}
            for card in session.scalars(select(GiftCard).where(GiftCard.sale_id == sale_id).order_by(GiftCard.code))]
