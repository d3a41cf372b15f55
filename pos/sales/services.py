"""Checkout: a basket becomes a sale, its stock moves and the feed records it, all in one transaction."""
from __future__ import annotations

import hashlib
import json as _json

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from pos.customers.models import Customer
from pos.customers.services import record_interaction
from pos.db import utcnow
from pos.feed.services import record_change
from pos.problems import ApiProblem
from pos.sales.baskets import load_basket, priced
from pos.sales.models import Basket, Payment, Sale, SaleLine, SaleVat
from pos.sales.pricing import PaymentError, settle
from pos.shifts.models import CashMovement
from pos.shifts.services import open_shift_for
from pos.stock.services import record_movements
from pos.stores.models import Terminal
from pos.till import Till


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(_json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(session, idempotency_key: str, fingerprint: str) -> Sale | None:
    sale = session.scalars(select(Sale).where(Sale.idempotency_key == idempotency_key)).one_or_none()
    if sale is not None and sale.request_hash != fingerprint:
        raise ApiProblem(422, "idempotency-key-reused",
                         "Idempotency-Key: this key was used for a different checkout", field="Idempotency-Key")
    return sale


def next_receipt_number(session, terminal_id) -> int:
    # In the sale's transaction: a failed checkout rolls the counter back, so numbers have no gaps.
    return session.execute(update(Terminal).where(Terminal.id == terminal_id)
                           .values(last_receipt_number=Terminal.last_receipt_number + 1)
                           .returning(Terminal.last_receipt_number)).scalar_one()


def checkout(session, till: Till, basket_id, payments: list, customer_id=None,
             idempotency_key: str | None = None) -> tuple[Sale, bool]:
    """Returns (sale, created).  created is False when an Idempotency-Key replays an earlier checkout."""
    fingerprint = request_fingerprint({"basket": str(basket_id), "customer": str(customer_id or ""),
                                       "payments": [(p.method, p.amount, p.reference or "") for p in payments]})
    if idempotency_key:
        earlier = _replay(session, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier, False
    # Claim the basket first: of two terminals checking out one basket, exactly one wins.
    claimed = session.execute(update(Basket).where(Basket.id == basket_id, Basket.status == "open",
                                                   Basket.terminal_id == till.terminal.id)
                              .values(status="checked_out", updated_at=utcnow())).rowcount
    if not claimed:
        if idempotency_key:
            earlier = _replay(session, idempotency_key, fingerprint)
            if earlier is not None:
                return earlier, False
        basket = load_basket(session, till, basket_id, statuses=())
        sale_id = session.scalar(select(Sale.id).where(Sale.basket_id == basket.id))
        raise ApiProblem(409, "basket-not-open", f"basket_id: the basket is {basket.status.replace('_', ' ')}",
                         field="basket_id", basket_status=basket.status,
                         sale_id=str(sale_id) if sale_id else None)
    basket = load_basket(session, till, basket_id, statuses=("checked_out",))
    if not basket.lines:
        raise ApiProblem(422, "basket-empty", "basket_id: the basket has no lines", field="basket_id")
    shift = open_shift_for(session, till.terminal.id)
    if shift is None:
        raise ApiProblem(409, "no-open-shift", "shift: open a shift (with the float) before taking payment",
                         field="shift")
    lines, totals = priced(basket, till.vat_rates)
    try:
        settlement = settle(totals.total, [(p.method, p.amount) for p in payments],
                            till.settings.country.cash_rounding_step)
    except PaymentError as exc:
        raise ApiProblem(422, "payment-invalid", f"{exc.field}: {exc.reason}", field=exc.field) from None
    customer_id = customer_id or basket.customer_id
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise ApiProblem(422, "unknown-customer", f"customer_id: no customer {customer_id}", field="customer_id")
    sale = Sale(terminal_id=till.terminal.id, location_id=till.location.id, shift_id=shift.id,
                cashier_id=till.cashier.id, customer_id=customer_id, basket_id=basket.id,
                receipt_number=next_receipt_number(session, till.terminal.id), currency=basket.currency,
                subtotal=totals.subtotal, discount_total=totals.discount_total, total=totals.total,
                rounding=settlement.rounding, change=settlement.change, idempotency_key=idempotency_key,
                request_hash=fingerprint, created_at=utcnow(),
                fiscal_status="pending")
    for position, (line, p) in enumerate(zip(basket.lines, lines), start=1):
        sale.lines.append(SaleLine(position=position, product_id=line.product_id, sku=line.product.sku,
                                   name=line.product.name, unit=line.product.unit, quantity=line.quantity,
                                   unit_price=line.unit_price, gross=p.gross, discount=p.discount,
                                   amount=p.amount, vat_group=p.vat_group, vat_rate_bp=p.vat_rate_bp))
    for letter, (rate, gross, vat) in totals.vat.items():
        sale.vat.append(SaleVat(vat_group=letter, vat_rate_bp=rate, gross=gross, vat=vat))
    for position, payment in enumerate(payments, start=1):
        sale.payments.append(Payment(position=position, method=payment.method, amount=payment.amount,
                                     reference=payment.reference or ""))
    session.add(sale)
    session.flush()
    record_movements(session, till.location.id, [(line.product_id, -line.quantity) for line in sale.lines],
                     "sale", sale.id)
    if settlement.cash_taken:
        session.add(CashMovement(shift_id=shift.id, kind="sale", amount=settlement.cash_taken,
                                 reference_id=sale.id))
    if customer_id is not None:
        record_interaction(session, customer_id, f"store:{till.location.code}", "sale", sale.id,
                           {"total": sale.total, "currency": sale.currency, "receipt_number": sale.receipt_number})
    record_change(session, "sale", sale.id, sale_json(sale, till.location.code, till.terminal.code))
    return sale, True


def get_sale(session, sale_id) -> Sale:
    sale = session.scalars(select(Sale).options(selectinload(Sale.lines), selectinload(Sale.vat),
                                                selectinload(Sale.payments)).where(Sale.id == sale_id)).one_or_none()
    if sale is None:
        raise ApiProblem(404, "unknown-sale", f"sale_id: no sale {sale_id}", field="sale_id")
    return sale


def sale_json(sale: Sale, store_code: str, terminal_code: str) -> dict:
    return {
        "id": str(sale.id),
        "store": store_code,
        "terminal": terminal_code,
        "receipt_number": sale.receipt_number,
        "created_at": sale.created_at.isoformat(),
        "cashier_id": str(sale.cashier_id),
        "shift_id": str(sale.shift_id),
        "customer_id": str(sale.customer_id) if sale.customer_id else None,
        "currency": sale.currency,
        "lines": [{
            "id": str(line.id), "position": line.position, "product_id": str(line.product_id), "sku": line.sku,
            "name": line.name, "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
            "gross": line.gross, "discount": line.discount, "amount": line.amount, "vat_group": line.vat_group,
            "vat_rate_bp": line.vat_rate_bp, "returned_quantity": line.returned_quantity,
        } for line in sale.lines],
        "vat": [{"vat_group": v.vat_group, "vat_rate_bp": v.vat_rate_bp, "gross": v.gross, "vat": v.vat}
                for v in sale.vat],
        "payments": [{"method": p.method, "amount": p.amount, "reference": p.reference, "refunded": p.refunded}
                     for p in sale.payments],
        "subtotal": sale.subtotal,
        "discount_total": sale.discount_total,
        "total": sale.total,
        "rounding": sale.rounding,
        "to_pay": sale.total + sale.rounding,
        "change": sale.change,
        "fiscal_status": sale.fiscal_status,
        "fiscal_number": sale.fiscal_number,
    }
