"""Returns against an original sale: partial, never more than sold, refunded to the original tender."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from pos.customers.services import record_interaction
from pos.loyalty.services import POINTS, on_return
from pos.db import utcnow
from pos.feed.services import record_change
from pos.giftcards import till as gift_cards
from pos.problems import ApiProblem
from pos.returns.models import Refund, Return, ReturnLine
from pos.sales.models import SaleLine
from pos.sales.pricing import cash_round, round_half_up
from pos.sales.services import get_sale, request_fingerprint
from pos.shifts.models import CashMovement
from pos.shifts.services import current_shift
from pos.staff.services import approve
from pos.stock.services import record_movements
from pos.till import Till


def create_return(session, till: Till, sale_id, lines: list, approval, reason: str = "",
                  idempotency_key: str | None = None, action: str = "refund") -> tuple[Return, bool]:
    fingerprint = request_fingerprint({"sale": str(sale_id), "reason": reason,
                                       "lines": [(str(line.sale_line_id), line.quantity) for line in lines]})
    if idempotency_key:
        earlier = session.scalars(select(Return).where(Return.idempotency_key == idempotency_key)).one_or_none()
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise ApiProblem(422, "idempotency-key-reused",
                                 "Idempotency-Key: this key was used for a different return", field="Idempotency-Key")
            return earlier, False
    if not lines:
        raise ApiProblem(422, "invalid-field", "lines: give at least one line to return", field="lines")
    sale = get_sale(session, sale_id)
    if sale.location_id != till.location.id:
        raise ApiProblem(422, "other-store", "sale_id: the sale was made at another store", field="sale_id")
    manager = approve(session, approval, till.settings.pin_policy, action=action, cashier=till.cashier,
                      terminal=till.terminal, subject=f"sale {sale.id}",
                      details={"lines": [{"sale_line_id": str(l.sale_line_id), "quantity": l.quantity} for l in lines]})
    shift = current_shift(session, till)
    by_id = {line.id: line for line in sale.lines}
    returned = Return(sale_id=sale.id, terminal_id=till.terminal.id, location_id=till.location.id,
                      shift_id=shift.id, cashier_id=till.cashier.id, approved_by=manager.id, currency=sale.currency,
                      total=0, reason=reason, idempotency_key=idempotency_key, request_hash=fingerprint,
                      created_at=utcnow())
    seen = set()
    for index, item in enumerate(lines):
        field = f"lines[{index}]"
        sale_line = by_id.get(item.sale_line_id)
        if sale_line is None:
            raise ApiProblem(422, "unknown-line", f"{field}.sale_line_id: not a line of sale {sale.id}",
                             field=f"{field}.sale_line_id")
        if gift_cards.is_card_line(sale_line.sku):
            raise ApiProblem(422, "gift-card-not-returnable",
                             f"{field}.sale_line_id: a gift card sold is not returned as goods", field=f"{field}.sale_line_id")
        if sale_line.id in seen:
            raise ApiProblem(422, "duplicate-line", f"{field}.sale_line_id: listed twice", field=f"{field}.sale_line_id")
        seen.add(sale_line.id)
        left = sale_line.quantity - sale_line.returned_quantity
        if item.quantity <= 0 or item.quantity > left:
            raise ApiProblem(422, "too-many-returned",
                             f"{field}.quantity: {item.quantity} asked, {left} left to return of {sale_line.quantity}",
                             field=f"{field}.quantity", returnable=left)
        if item.quantity == left:
            amount = sale_line.amount - sale_line.returned_amount  # the last return takes what is left exactly
        else:
            amount = round_half_up(sale_line.amount * item.quantity, sale_line.quantity)
        # Guarded update: two returns of the same line at once cannot exceed what was sold.
        updated = session.execute(update(SaleLine).where(
            SaleLine.id == sale_line.id, SaleLine.returned_quantity + item.quantity <= SaleLine.quantity)
            .values(returned_quantity=SaleLine.returned_quantity + item.quantity,
                    returned_amount=SaleLine.returned_amount + amount)).rowcount
        if not updated:
            raise ApiProblem(409, "too-many-returned", f"{field}.quantity: returned meanwhile at another till",
                             field=f"{field}.quantity")
        returned.lines.append(ReturnLine(sale_line_id=sale_line.id, quantity=item.quantity, amount=amount))
        returned.total += amount
    _refund_to_original_tenders(session, returned, sale, till)
    session.add(returned)
    session.flush()
    gift_cards.refund_to_cards(session, till, returned, sale)
    record_movements(session, till.location.id,
                     [(by_id[line.sale_line_id].product_id, line.quantity) for line in returned.lines],
                     "return", returned.id)
    cash = sum(r.amount for r in returned.refunds if r.method == "cash")
    if cash:
        session.add(CashMovement(shift_id=shift.id, kind="refund", amount=-cash, reference_id=returned.id))
    if sale.customer_id is not None:
        record_interaction(session, sale.customer_id, f"store:{till.location.code}", "return", returned.id,
                           {"sale_id": str(sale.id), "total": returned.total, "currency": returned.currency})
        _loyalty(session, sale, returned, f"store:{till.location.code}")
    record_change(session, "return", returned.id, return_json(returned, till.location.code, till.terminal.code))
    return returned, True


def _loyalty(session, sale, returned: Return, channel: str) -> None:
    """Where this node holds the programme: the sale's points back in proportion, a points tender refunded."""
    references = {payment.id: payment.reference for payment in sale.payments}
    on_return(session, sale.id, returned.id, sale.customer_id, returned.total,
              [(references.get(r.payment_id, ""), r.amount) for r in returned.refunds if r.method == POINTS], channel)


def _refund_to_original_tenders(session, returned: Return, sale, till: Till) -> None:
    """Cards and other tenders get their money back first (up to what they paid), cash takes the rest."""
    left = returned.total
    position = 0
    payments = sorted(sale.payments, key=lambda p: (p.method == "cash", p.position))
    for payment in payments:
        if left <= 0:
            break
        if payment.method == "cash":
            continue
        amount = min(left, payment.amount - payment.refunded)
        if amount > 0:
            position += 1
            payment.refunded += amount
            returned.refunds.append(Refund(payment_id=payment.id, position=position, method=payment.method,
                                           amount=amount))
            left -= amount
    if left > 0:
        cash_payment = next((p for p in payments if p.method == "cash"), None)
        if cash_payment is None:
            raise ApiProblem(409, "nothing-to-refund", "sale_id: the sale's tenders are already fully refunded",
                             field="sale_id")
        cash = cash_round(left, till.settings.country.cash_rounding_step)
        returned.rounding = cash - left
        cash_payment.refunded += cash
        returned.refunds.append(Refund(payment_id=cash_payment.id, position=position + 1, method="cash",
                                       amount=cash))


def return_json(returned: Return, store_code: str, terminal_code: str) -> dict:
    return {
        "id": str(returned.id), "sale_id": str(returned.sale_id), "store": store_code, "terminal": terminal_code,
        "created_at": returned.created_at.isoformat(), "currency": returned.currency, "total": returned.total,
        "rounding": returned.rounding, "reason": returned.reason, "approved_by": str(returned.approved_by),
        "lines": [{"sale_line_id": str(l.sale_line_id), "quantity": l.quantity, "amount": l.amount}
                  for l in returned.lines],
        "refunds": [{"method": r.method, "amount": r.amount} for r in returned.refunds],
    }


@dataclass
class _WholeLine:
    sale_line_id: object
    quantity: int


def void_sale(session, till: Till, sale_id, approval, reason: str = "",
              idempotency_key: str | None = None) -> tuple[Return, bool]:
    """Void after payment: a fiscal receipt cannot be unprinted, so the sale is reversed whole as a
    manager-approved return of everything not yet returned (refunded to the original tenders)."""
    sale = get_sale(session, sale_id)
    remaining = [_WholeLine(line.id, line.quantity - line.returned_quantity) for line in sale.lines
                 if line.quantity > line.returned_quantity]
    if not remaining:
        raise ApiProblem(409, "nothing-to-void", "sale_id: everything on this sale was already returned",
                         field="sale_id")
    return create_return(session, till, sale_id, remaining, approval, reason or "void",
                         idempotency_key, action="void")
