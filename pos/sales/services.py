"""Checkout: a basket becomes a sale, its stock moves and the feed records it, all in one transaction."""
from __future__ import annotations

import hashlib
import json as _json

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from pos.customers.models import Customer
from pos.coupons.till import redeem_at_checkout
from pos.customers.services import record_interaction
from pos.db import fast_execute, fast_insert, utcnow
from pos.dispatch.models import Delivery
from pos.dispatch.services import deliver_home, shop_today
from pos.feed.services import record_change
from pos.loyalty.services import earn_for_sale
from pos.giftcards import till as gift_cards
from pos.problems import ApiProblem
from pos.sales.baskets import BASKET_COLUMNS, BasketView, load_basket, priced, read_coupon, read_lines
from pos.sales.models import Basket, Payment, Sale, SaleLine, SaleVat
from pos.sales.pricing import PaymentError, settle
from pos.shifts.models import CashMovement
from pos.ids import new_id
from pos.shifts.models import Shift
from pos.staff.services import approve
from pos.stock.services import record_movements
from pos.stores.models import Location, Terminal
from pos.till import Till


_sale, _line, _vat, _tender = (Sale.__table__, SaleLine.__table__, SaleVat.__table__, Payment.__table__)
_basket, _terminal, _shift = Basket.__table__, Terminal.__table__, Shift.__table__
# Run on the driver's cursor, compiled once (pos.db.fast_execute): a checkout runs at every till all day.
# The claim hands back the basket it claimed, so claiming and reading it is one statement.
CLAIM_BASKET = ("checkout.claim", lambda: (
    update(_basket).where(_basket.c.id == bindparam("b_id"), _basket.c.status == "open",
                          _basket.c.terminal_id == bindparam("b_terminal"))
    .values(status="checked_out", updated_at=bindparam("b_now"))
    .returning(*(_basket.c[column.key] for column in BASKET_COLUMNS))))
OPEN_SHIFT = ("checkout.open_shift", lambda: select(_shift.c.id).where(
    _shift.c.terminal_id == bindparam("s_terminal"), _shift.c.status == "open"))
NEXT_RECEIPT = ("checkout.next_receipt", lambda: (
    update(_terminal).where(_terminal.c.id == bindparam("t_id"))
    .values(last_receipt_number=_terminal.c.last_receipt_number + 1)
    .returning(_terminal.c.last_receipt_number)))
EARLIER_SALE = ("checkout.earlier", lambda: select(_sale.c.id, _sale.c.request_hash).where(
    _sale.c.idempotency_key == bindparam("key")))


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(_json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(session, idempotency_key: str, fingerprint: str) -> Sale | None:
    # Every till checkout sends a key and nearly every key is new: one plain read, the sale loaded only if found.
    rows, _count = fast_execute(session.connection(), *EARLIER_SALE, {"key": idempotency_key})
    if not rows:
        return None
    sale_id, request_hash = rows[0]
    if request_hash != fingerprint:
        raise ApiProblem(422, "idempotency-key-reused",
                         "Idempotency-Key: this key was used for a different checkout", field="Idempotency-Key")
    return session.get(Sale, sale_id)


def next_receipt_number(session, terminal_id) -> int:
    # In the sale's transaction: a failed checkout rolls the counter back, so numbers have no gaps.
    rows, _count = fast_execute(session.connection(), *NEXT_RECEIPT, {"t_id": terminal_id})
    return rows[0][0]


def checkout(session, till: Till, basket_id, payments: list, customer_id=None,
             idempotency_key: str | None = None, home_delivery=None, approval=None,
             coupon_hq=None) -> tuple[dict, bool]:
    """Returns (sale document, created).  created is False when an Idempotency-Key replays an earlier checkout.

    Plain Core statements, one per table: this runs for every customer at every till."""
    fingerprint = request_fingerprint({"basket": str(basket_id), "customer": str(customer_id or ""),
                                       "payments": [(p.method, p.amount, p.reference or "") for p in payments],
                                       "home_delivery": home_delivery.model_dump(mode="json") if home_delivery else None})
    if idempotency_key:
        earlier = _replay(session, idempotency_key, fingerprint)
        if earlier is not None:
            return sale_document(session, earlier), False
    # Claim the basket first: of two terminals checking out one basket, exactly one wins.
    connection = session.connection()
    claimed, _count = fast_execute(connection, *CLAIM_BASKET, {"b_id": basket_id, "b_terminal": till.terminal.id,
                                                              "b_now": utcnow()})
    if not claimed:
        if idempotency_key:
            earlier = _replay(session, idempotency_key, fingerprint)
            if earlier is not None:
                return sale_document(session, earlier), False
        basket = load_basket(session, till, basket_id, statuses=())
        sale_id = session.scalar(select(Sale.id).where(Sale.basket_id == basket.id))
        raise ApiProblem(409, "basket-not-open", f"basket_id: the basket is {basket.status.replace('_', ' ')}",
                         field="basket_id", basket_status=basket.status,
                         sale_id=str(sale_id) if sale_id else None)
    basket = BasketView(*claimed[0])
    basket.lines = read_lines(session, basket_id)
    basket.coupon = read_coupon(session, basket_id)
    if not basket.lines:
        raise ApiProblem(422, "basket-empty", "basket_id: the basket has no lines", field="basket_id")
    shift = fast_execute(connection, *OPEN_SHIFT, {"s_terminal": till.terminal.id})[0]
    shift_id = shift[0][0] if shift else None
    if shift_id is None:
        raise ApiProblem(409, "no-open-shift", "shift: open a shift (with the float) before taking payment",
                         field="shift")
    priced_lines, totals = priced(basket, till.vat_rates)
    try:
        settlement = settle(totals.total, [(p.method, p.amount) for p in payments],
                            till.settings.country.cash_rounding_step)
    except PaymentError as exc:
        raise ApiProblem(422, "payment-invalid", f"{exc.field}: {exc.reason}", field=exc.field) from None
    customer_id = customer_id or basket.customer_id
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise ApiProblem(422, "unknown-customer", f"customer_id: no customer {customer_id}", field="customer_id")
    sale_id, now = new_id(), utcnow()
    sale = {"id": sale_id, "terminal_id": till.terminal.id, "location_id": till.location.id, "shift_id": shift_id,
            "cashier_id": till.cashier.id, "customer_id": customer_id, "basket_id": basket.id,
            "receipt_number": next_receipt_number(session, till.terminal.id), "currency": basket.currency,
            "subtotal": totals.subtotal, "discount_total": totals.discount_total, "total": totals.total,
            "rounding": settlement.rounding, "change": settlement.change, "idempotency_key": idempotency_key,
            "request_hash": fingerprint, "created_at": now, "fiscal_status": "pending", "fiscal_number": None}
    lines = [{"id": new_id(), "sale_id": sale_id, "position": position, "product_id": line.product_id,
              "sku": line.sku, "name": line.name, "unit": line.unit, "quantity": line.quantity,
              "unit_price": line.unit_price, "gross": p.gross, "discount": p.discount, "amount": p.amount,
              "coupon_discount": p.coupon_discount, "vat_group": p.vat_group, "vat_rate_bp": p.vat_rate_bp, "returned_quantity": 0, "returned_amount": 0}
             for position, (line, p) in enumerate(zip(basket.lines, priced_lines), start=1)]
    vat = [{"sale_id": sale_id, "vat_group": letter, "vat_rate_bp": rate, "gross": gross, "vat": amount}
           for letter, (rate, gross, amount) in totals.vat.items()]
    tenders = [{"id": new_id(), "sale_id": sale_id, "position": position, "method": p.method, "amount": p.amount,
                "reference": p.reference or "", "refunded": 0} for position, p in enumerate(payments, start=1)]
    gift_cards.check_tenders(lines, tenders)
    fast_insert(connection, _sale, [sale])
    fast_insert(connection, _line, lines)
    fast_insert(connection, _vat, vat)
    fast_insert(connection, _tender, tenders)
    # A coupon's use is redeemed in the sale's transaction: a sale refused rolls it back (pos.coupons).
    coupon = redeem_at_checkout(session, till, basket, priced_lines, customer_id, sale_id,
                                store_code=till.location.code, hq_redeem=coupon_hq)
    def sell_promised(product_ids):
        # The customer holds the goods, the shop promised them online: a manager decides, and HQ gets the conflict.
        skus = sorted(line["sku"] for line in lines if line["product_id"] in set(product_ids))
        approve(session, approval, till.settings.pin_policy, action="sell_promised", cashier=till.cashier,
                terminal=till.terminal, subject=f"sale {sale_id}", details={"skus": skus})

    # A gift card is no stock: its line moves nothing.
    record_movements(session, till.location.id, [(line["product_id"], -line["quantity"]) for line in lines
                                                 if not gift_cards.is_card_line(line["sku"])],
                     "sale", sale_id, promised_override=sell_promised if approval is not None else None)
    if settlement.cash_taken:
        fast_insert(connection, CashMovement.__table__, [{"id": new_id(), "shift_id": shift_id, "kind": "sale",
                                                "amount": settlement.cash_taken, "reason": "",
                                                "reference_id": sale_id, "created_at": now}])
    document = _document(sale, lines, vat, tenders, till.location.code, till.terminal.code)
    if coupon is not None:
        document["coupon"] = {"code": coupon["code"], "discount": coupon["discount"]}
    if customer_id is not None:
        record_interaction(session, customer_id, f"store:{till.location.code}", "sale", sale_id,
                           {"total": totals.total, "currency": basket.currency,
                            "receipt_number": sale["receipt_number"]})
        # Where this node holds the programme (standalone); a store's sale earns when it reaches HQ.
        earn_for_sale(session, sale_id, customer_id, [(line["product_id"], line["amount"]) for line in lines],
                      basket.currency, f"store:{till.location.code}", [(p.method, p.amount) for p in payments], now)
    if home_delivery is not None:
        # In the sale's transaction: a sale promised for home delivery never lacks its delivery.
        delivery = deliver_home(session, "store_sale", sale_id, customer_id, home_delivery,
                                till.settings.country.code, shop_today(till.settings.country.timezone),
                                f"cashier:{till.cashier.login}")
        document["delivery_id"] = str(delivery.id)
    # Last before the commit: a card paid with is spent at HQ only once the rest of the sale is in.
    sold_cards = gift_cards.settle(session, till, sale, lines, tenders, f"till:{basket.id}")
    record_change(session, "sale", sale_id, document)
    if sold_cards:
        document["gift_cards"] = sold_cards
    return document, True


def get_sale(session, sale_id) -> Sale:
    sale = session.scalars(select(Sale).options(selectinload(Sale.lines), selectinload(Sale.vat),
                                                selectinload(Sale.payments)).where(Sale.id == sale_id)).one_or_none()
    if sale is None:
        raise ApiProblem(404, "unknown-sale", f"sale_id: no sale {sale_id}", field="sale_id")
    return sale


def sale_document(session, sale: Sale) -> dict:
    """The API's and the change feed's view of a stored sale."""
    location_code = session.scalar(select(Location.code).where(Location.id == sale.location_id))
    terminal_code = session.scalar(select(Terminal.code).where(Terminal.id == sale.terminal_id))
    columns = lambda obj, names: {name: getattr(obj, name) for name in names}  # noqa: E731
    document = _document(columns(sale, _SALE_FIELDS), [columns(line, _LINE_FIELDS) for line in sale.lines],
                         [columns(v, _VAT_FIELDS) for v in sale.vat],
                         [columns(p, _TENDER_FIELDS) for p in sale.payments], location_code, terminal_code)
    delivery_id = session.scalar(select(Delivery.id).where(Delivery.source == "store_sale",
                                                           Delivery.source_ref == str(sale.id)))
    document["delivery_id"] = str(delivery_id) if delivery_id else None
    if any(gift_cards.is_card_line(line.sku) for line in sale.lines):
        document["gift_cards"] = gift_cards.cards_of_sale(session, sale.id)
    return document


_SALE_FIELDS = ("id", "receipt_number", "created_at", "cashier_id", "shift_id", "customer_id", "currency",
                "subtotal", "discount_total", "total", "rounding", "change", "fiscal_status", "fiscal_number")
_LINE_FIELDS = ("id", "position", "product_id", "sku", "name", "unit", "quantity", "unit_price", "gross",
                "discount", "amount", "vat_group", "vat_rate_bp", "returned_quantity")
_VAT_FIELDS = ("vat_group", "vat_rate_bp", "gross", "vat")
_TENDER_FIELDS = ("method", "amount", "reference", "refunded")


def _document(sale: dict, lines: list, vat: list, tenders: list, store_code: str, terminal_code: str) -> dict:
    return {
        "id": str(sale["id"]),
        "store": store_code,
        "terminal": terminal_code,
        "receipt_number": sale["receipt_number"],
        "created_at": sale["created_at"].isoformat(),
        "cashier_id": str(sale["cashier_id"]),
        "shift_id": str(sale["shift_id"]),
        "customer_id": str(sale["customer_id"]) if sale["customer_id"] else None,
        "currency": sale["currency"],
        "lines": [{
            "id": str(line["id"]), "position": line["position"], "product_id": str(line["product_id"]),
            "sku": line["sku"], "name": line["name"], "unit": line["unit"], "quantity": line["quantity"],
            "unit_price": line["unit_price"], "gross": line["gross"], "discount": line["discount"],
            "amount": line["amount"], "vat_group": line["vat_group"], "vat_rate_bp": line["vat_rate_bp"],
            "returned_quantity": line["returned_quantity"],
        } for line in lines],
        "vat": [{key: v[key] for key in _VAT_FIELDS} for v in vat],
        "payments": [{key: p[key] for key in _TENDER_FIELDS} for p in tenders],
        "subtotal": sale["subtotal"],
        "discount_total": sale["discount_total"],
        "total": sale["total"],
        "rounding": sale["rounding"],
        "to_pay": sale["total"] + sale["rounding"],
        "change": sale["change"],
        "fiscal_status": sale["fiscal_status"],
        "fiscal_number": sale["fiscal_number"],
        "delivery_id": None,
    }
