"""Ringing up: the basket, its lines, discounts, park and resume.

A scan is the hottest path in the shop, so baskets are read and written with plain
Core statements into small dataclasses: two queries to read a basket, one to change it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update

from pos.catalogue.models import Product
from pos.catalogue.services import product_by_sku, resolve_code
from pos.coupons.models import BasketCoupon
from pos.coupons.rules import line_shares
from pos.customers.models import Customer
from pos.db import fast_execute, utcnow
from pos.ids import new_id
from pos.problems import ApiProblem
from pos.sales.models import Basket, BasketLine
from pos.sales.pricing import PricedLine, line_gross, percent_of, price_basket
from pos.staff.services import approve
from pos.till import Till

MAX_PIECES = 9_999
MAX_GRAMS = 200_000  # 200 kg on one line is a typo, not a sale


@dataclass
class Line:
    id: uuid.UUID
    position: int
    product_id: uuid.UUID
    quantity: int
    unit_price: int
    fixed_amount: int | None
    discount: int
    code: str
    sku: str
    name: str
    unit: str
    vat_group: str
    product_group: str = ""

    @property
    def gross(self) -> int:
        if self.fixed_amount is not None:
            return self.fixed_amount
        return line_gross(self.unit, self.unit_price, self.quantity)


@dataclass
class BasketView:
    id: uuid.UUID
    terminal_id: uuid.UUID
    status: str
    currency: str
    customer_id: uuid.UUID | None
    discount_percent_bp: int
    discount_amount: int
    lines: list[Line] = field(default_factory=list)
    coupon: dict | None = None  # the coupon's rules (pos.coupons), when one was scanned


BASKET_COLUMNS = (Basket.id, Basket.terminal_id, Basket.status, Basket.currency, Basket.customer_id,
                   Basket.discount_percent_bp, Basket.discount_amount)
_LINE_COLUMNS = (BasketLine.id, BasketLine.position, BasketLine.product_id, BasketLine.quantity,
                 BasketLine.unit_price, BasketLine.fixed_amount, BasketLine.discount, BasketLine.code,
                 Product.sku, Product.name, Product.unit, Product.vat_group, Product.product_group)
# Compiled once and run on the driver's cursor (pos.db.fast_execute): a scan must feel instant.
READ_BASKET = ("basket.read", lambda: (
    select(*BASKET_COLUMNS, BasketCoupon.rule).outerjoin(BasketCoupon, BasketCoupon.basket_id == Basket.id)
    .where(Basket.id == bindparam("basket_id"))))
READ_LINES = ("basket.lines", lambda: (
    select(*_LINE_COLUMNS).join(Product, Product.id == BasketLine.product_id)
    .where(BasketLine.basket_id == bindparam("basket_id")).order_by(BasketLine.position)))
INSERT_LINE = ("basket.insert_line", lambda: insert(BasketLine.__table__).values(
    {column.key: bindparam(column.key, type_=column.type) for column in BasketLine.__table__.c}))
SET_LINE_QUANTITY = ("basket.line_quantity", lambda: (
    update(BasketLine.__table__).where(BasketLine.__table__.c.id == bindparam("line_id"))
    .values(quantity=bindparam("quantity"))))


def check_quantity(unit: str, quantity: int, field_name: str = "quantity") -> None:
    limit = MAX_GRAMS if unit == "kg" else MAX_PIECES
    what = "grams" if unit == "kg" else "pieces"
    if quantity <= 0:
        raise ApiProblem(422, "invalid-quantity", f"{field_name}: must be at least 1 ({what})", field=field_name)
    if quantity > limit:
        raise ApiProblem(422, "invalid-quantity", f"{field_name}: {quantity} {what} is more than {limit}",
                         field=field_name)


def new_basket(session, till: Till, customer_id=None) -> BasketView:
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise ApiProblem(422, "unknown-customer", f"customer_id: no customer {customer_id}", field="customer_id")
    basket = BasketView(new_id(), till.terminal.id, "open", till.currency, customer_id, 0, 0)
    now = utcnow()
    session.execute(insert(Basket).values(id=basket.id, terminal_id=basket.terminal_id, cashier_id=till.cashier.id,
                                          status="open", customer_id=customer_id, currency=basket.currency,
                                          discount_percent_bp=0, discount_amount=0, created_at=now, updated_at=now))
    return basket


READ_COUPON = ("basket.coupon", lambda: select(BasketCoupon.rule).where(BasketCoupon.basket_id == bindparam("basket_id")))


def read_coupon(session, basket_id) -> dict | None:
    """The rules of the coupon scanned on the basket, if any (pos.coupons)."""
    rows = fast_execute(session.connection(), *READ_COUPON, {"basket_id": basket_id})[0]
    return rows[0][0] if rows else None


def read_lines(session, basket_id) -> list[Line]:
    return [Line(*row) for row in fast_execute(session.connection(), *READ_LINES, {"basket_id": basket_id})[0]]


def load_basket(session, till: Till, basket_id, *, statuses=("open",)) -> BasketView:
    rows = fast_execute(session.connection(), *READ_BASKET, {"basket_id": basket_id})[0]
    row = BasketView(*rows[0][:-1], coupon=rows[0][-1]) if rows else None
    if row is None or (row.terminal_id != till.terminal.id and row.status != "parked"):
        raise ApiProblem(404, "unknown-basket", f"basket_id: no basket {basket_id} on this terminal",
                         field="basket_id")
    if statuses and row.status not in statuses:
        raise ApiProblem(409, "basket-not-open", f"basket_id: the basket is {row.status.replace('_', ' ')}",
                         field="basket_id", basket_status=row.status)
    row.lines = read_lines(session, basket_id)
    return row


def add_line(session, till: Till, basket_id, *, code=None, sku=None, quantity=None, weighed: bool = False,
             scale_at_till: bool = False, approval=None) -> BasketView:
    """``weighed``: ``quantity`` is the grams the till's scale vouched for.  A weight typed by hand at a till
    that has a scale is a manager's decision (audited): the scale is the one the customer can see."""
    basket = load_basket(session, till, basket_id)
    typed_weight = quantity is not None and not weighed
    fixed_amount = None
    if code is not None:
        resolved = resolve_code(session, code, till.settings.embedded_layouts)
        product, fixed_amount = resolved.product, resolved.fixed_amount
        if resolved.quantity is not None:
            if quantity is not None and quantity != resolved.quantity:
                raise ApiProblem(422, "invalid-quantity", "quantity: this code carries its own quantity",
                                 field="quantity")
            quantity = resolved.quantity
    else:
        product = product_by_sku(session, sku)
    source = "code" if code is not None else "sku"
    if quantity is None:
        if product.unit == "kg":
            raise ApiProblem(422, "weight-required",
                             f"quantity: {product.name} is sold by weight; give the weight in grams",
                             field="quantity")
        quantity = 1
    check_quantity(product.unit, quantity)
    if weighed and product.unit != "kg":
        raise ApiProblem(422, "not-sold-by-weight", f"weigh: {product.name} is sold by the piece", field="weigh")
    if product.unit == "kg" and typed_weight and scale_at_till:
        approve(session, approval, till.settings.pin_policy, action="manual_weight", cashier=till.cashier,
                terminal=till.terminal, subject=product.sku, details={"grams": quantity, "basket_id": str(basket.id)})
    if product.currency != basket.currency:
        raise ApiProblem(422, "wrong-currency", f"{source}: priced in {product.currency}, not {basket.currency}",
                         field=source)
    last = basket.lines[-1] if basket.lines else None
    if (last is not None and last.product_id == product.id and product.unit == "pcs" and fixed_amount is None
            and last.fixed_amount is None and last.discount == 0):
        check_quantity(product.unit, last.quantity + quantity)
        last.quantity += quantity
        fast_execute(session.connection(), *SET_LINE_QUANTITY, {"line_id": last.id, "quantity": last.quantity})
        return basket
    line = Line(new_id(), (last.position + 1) if last else 1, product.id, quantity, product.price, fixed_amount, 0,
                code or "", product.sku, product.name, product.unit, product.vat_group, product.product_group or "")
    fast_execute(session.connection(), *INSERT_LINE, {
        "id": line.id, "basket_id": basket.id, "position": line.position, "product_id": line.product_id,
        "quantity": quantity, "unit_price": line.unit_price, "fixed_amount": fixed_amount, "discount": 0,
        "code": line.code})
    basket.lines.append(line)
    return basket


def _line(basket: BasketView, line_id) -> Line:
    for line in basket.lines:
        if line.id == line_id:
            return line
    raise ApiProblem(404, "unknown-line", f"line_id: no line {line_id} in this basket", field="line_id")


def set_quantity(session, till: Till, basket_id, line_id, quantity: int, *, scale_at_till: bool = False,
                 approval=None) -> BasketView:
    basket = load_basket(session, till, basket_id)
    line = _line(basket, line_id)
    if line.fixed_amount is not None or (line.unit == "kg" and line.code):
        raise ApiProblem(422, "quantity-fixed", "quantity: this line's quantity comes from its barcode; "
                         "remove the line and scan again", field="quantity")
    check_quantity(line.unit, quantity)
    if line.unit == "kg" and scale_at_till:
        approve(session, approval, till.settings.pin_policy, action="manual_weight", cashier=till.cashier,
                terminal=till.terminal, subject=line.sku, details={"grams": quantity, "basket_id": str(basket.id)})
    line.quantity = quantity
    line.discount = min(line.discount, line.gross)
    session.execute(update(BasketLine).where(BasketLine.id == line.id)
                    .values(quantity=quantity, discount=line.discount))
    return basket


def remove_line(session, till: Till, basket_id, line_id) -> BasketView:
    basket = load_basket(session, till, basket_id)
    line = _line(basket, line_id)
    basket.lines.remove(line)
    session.execute(delete(BasketLine).where(BasketLine.id == line.id))
    return basket


def _discount_amount(base: int, percent: float | None, amount: int | None, field_name: str) -> tuple[int, int]:
    """(amount, basis points) of a discount given as a percent or an amount."""
    if (percent is None) == (amount is None):
        raise ApiProblem(422, "invalid-discount", f"{field_name}: give either percent or amount", field=field_name)
    if percent is not None:
        basis_points = round(percent * 100)
        if not 0 <= basis_points <= 10000:
            raise ApiProblem(422, "invalid-discount", f"{field_name}.percent: must be between 0 and 100",
                             field=f"{field_name}.percent")
        return percent_of(base, basis_points), basis_points
    if amount < 0 or amount > base:
        raise ApiProblem(422, "invalid-discount", f"{field_name}.amount: must be between 0 and {base}",
                         field=f"{field_name}.amount")
    return amount, (amount * 10000 // base if base else 0)


def _needs_approval(till: Till, basis_points: int) -> bool:
    return basis_points > till.settings.discount_limit_percent * 100


def set_line_discount(session, till: Till, basket_id, line_id, percent=None, amount=None,
                      approval=None) -> BasketView:
    basket = load_basket(session, till, basket_id)
    line = _line(basket, line_id)
    value, basis_points = _discount_amount(line.gross, percent, amount, "discount")
    if _needs_approval(till, basis_points):
        approve(session, approval, till.settings.pin_policy, action="line_discount", cashier=till.cashier,
                terminal=till.terminal, subject=f"basket {basket.id} line {line.id}",
                details={"amount": value, "percent_bp": basis_points, "sku": line.sku})
    line.discount = value
    session.execute(update(BasketLine).where(BasketLine.id == line.id).values(discount=value))
    return basket


def set_basket_discount(session, till: Till, basket_id, percent=None, amount=None, approval=None) -> BasketView:
    basket = load_basket(session, till, basket_id)
    base = sum(line.gross - line.discount for line in basket.lines)
    value, basis_points = _discount_amount(base, percent, amount, "discount")
    if _needs_approval(till, basis_points):
        approve(session, approval, till.settings.pin_policy, action="basket_discount", cashier=till.cashier,
                terminal=till.terminal, subject=f"basket {basket.id}",
                details={"amount": value, "percent_bp": basis_points})
    if percent is not None:
        basket.discount_percent_bp, basket.discount_amount = round(percent * 100), 0
    else:
        basket.discount_percent_bp, basket.discount_amount = 0, value
    session.execute(update(Basket).where(Basket.id == basket.id).values(
        discount_percent_bp=basket.discount_percent_bp, discount_amount=basket.discount_amount))
    return basket


def _set_status(session, till: Till, basket: BasketView, status: str, **values) -> BasketView:
    basket.status = status
    session.execute(update(Basket).where(Basket.id == basket.id).values(status=status, updated_at=utcnow(), **values))
    return basket


def park(session, till: Till, basket_id) -> BasketView:
    basket = load_basket(session, till, basket_id)
    if not basket.lines:
        raise ApiProblem(422, "basket-empty", "basket_id: there is nothing to park", field="basket_id")
    return _set_status(session, till, basket, "parked")


def resume(session, till: Till, basket_id) -> BasketView:
    basket = load_basket(session, till, basket_id, statuses=("parked",))
    basket.terminal_id = till.terminal.id
    return _set_status(session, till, basket, "open", terminal_id=till.terminal.id, cashier_id=till.cashier.id)


def cancel(session, till: Till, basket_id) -> BasketView:
    basket = load_basket(session, till, basket_id, statuses=("open", "parked"))
    return _set_status(session, till, basket, "cancelled")


def parked_baskets(session, till: Till) -> list[BasketView]:
    rows = session.execute(select(*BASKET_COLUMNS).where(Basket.status == "parked").order_by(Basket.updated_at))
    baskets = [BasketView(*row) for row in rows]
    for basket in baskets:
        basket.lines = read_lines(session, basket.id)
    return baskets


def priced(basket: BasketView, vat_rates: dict):
    lines = [PricedLine(unit=line.unit, unit_price=line.unit_price, quantity=line.quantity,
                        vat_group=line.vat_group, vat_rate_bp=vat_rates.get(line.vat_group),
                        line_discount=line.discount, fixed_amount=line.fixed_amount,
                        product_group=line.product_group) for line in basket.lines]
    coupon = None
    if basket.coupon is not None:
        def coupon(priced_lines):
            return line_shares(basket.coupon, [p.gross - p.line_discount for p in priced_lines],
                               [p.product_group for p in priced_lines])[0]
    return lines, price_basket(lines, basket.discount_percent_bp, basket.discount_amount, coupon)


def coupon_json(basket: BasketView, lines) -> dict | None:
    if basket.coupon is None:
        return None
    from pos.coupons.services import evaluate  # the coupon area's view of what it takes off
    return evaluate(basket.coupon, [{"amount": p.gross - p.line_discount, "product_group": p.product_group}
                                    for p in lines])


def basket_json(basket: BasketView, vat_rates: dict) -> dict:
    lines, totals = priced(basket, vat_rates)
    return {
        "id": str(basket.id),
        "status": basket.status,
        "currency": basket.currency,
        "customer_id": str(basket.customer_id) if basket.customer_id else None,
        "lines": [{
            "id": str(line.id), "position": line.position, "sku": line.sku, "name": line.name,
            "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
            "gross": p.gross, "discount": p.discount, "amount": p.amount, "vat_group": p.vat_group,
            "code": line.code, "coupon_discount": p.coupon_discount,
        } for line, p in zip(basket.lines, lines)],
        "coupon": coupon_json(basket, lines),
        "subtotal": totals.subtotal,
        "discount_total": totals.discount_total,
        "total": totals.total,
        "vat": [{"vat_group": k, "vat_rate_bp": r, "gross": g, "vat": v} for k, (r, g, v) in totals.vat.items()],
        "item_count": len(basket.lines),
    }
