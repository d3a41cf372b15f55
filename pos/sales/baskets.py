"""Ringing up: the basket, its lines, discounts, park and resume."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pos.catalogue.models import Product
from pos.catalogue.services import product_by_sku, resolve_code
from pos.problems import ApiProblem
from pos.sales.models import Basket, BasketLine
from pos.sales.pricing import PricedLine, line_gross, percent_of, price_basket
from pos.staff.services import approve
from pos.till import Till

MAX_PIECES = 9_999
MAX_GRAMS = 200_000  # 200 kg on one line is a typo, not a sale


def check_quantity(product: Product, quantity: int, field: str = "quantity") -> None:
    limit = MAX_GRAMS if product.unit == "kg" else MAX_PIECES
    what = "grams" if product.unit == "kg" else "pieces"
    if quantity <= 0:
        raise ApiProblem(422, "invalid-quantity", f"{field}: must be at least 1 ({what})", field=field)
    if quantity > limit:
        raise ApiProblem(422, "invalid-quantity", f"{field}: {quantity} {what} is more than {limit}", field=field)


def new_basket(session, till: Till, customer_id=None) -> Basket:
    basket = Basket(terminal_id=till.terminal.id, cashier_id=till.cashier.id, currency=till.currency,
                    customer_id=customer_id, lines=[])
    session.add(basket)
    session.flush()
    return basket


def load_basket(session, till: Till, basket_id, *, for_update: bool = True, statuses=("open",)) -> Basket:
    basket = session.scalars(select(Basket).options(
        selectinload(Basket.lines).selectinload(BasketLine.product)).where(Basket.id == basket_id)).one_or_none()
    if basket is None or basket.terminal_id != till.terminal.id and basket.status != "parked":
        raise ApiProblem(404, "unknown-basket", f"basket_id: no basket {basket_id} on this terminal",
                         field="basket_id")
    if statuses and basket.status not in statuses:
        raise ApiProblem(409, "basket-not-open", f"basket_id: the basket is {basket.status.replace('_', ' ')}",
                         field="basket_id", basket_status=basket.status)
    return basket


def add_line(session, till: Till, basket_id, *, code=None, sku=None, quantity=None) -> Basket:
    basket = load_basket(session, till, basket_id)
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
    field = "code" if code is not None else "sku"
    if quantity is None:
        if product.unit == "kg":
            raise ApiProblem(422, "weight-required",
                             f"quantity: {product.name} is sold by weight; give the weight in grams",
                             field="quantity")
        quantity = 1
    check_quantity(product, quantity)
    if product.currency != basket.currency:
        raise ApiProblem(422, "wrong-currency", f"{field}: priced in {product.currency}, not {basket.currency}",
                         field=field)
    last = basket.lines[-1] if basket.lines else None
    if (last is not None and last.product_id == product.id and product.unit == "pcs" and fixed_amount is None
            and last.fixed_amount is None and last.discount == 0):
        check_quantity(product, last.quantity + quantity)
        last.quantity += quantity
    else:
        position = (last.position + 1) if last else 1
        basket.lines.append(BasketLine(product_id=product.id, product=product, position=position,
                                       quantity=quantity, unit_price=product.price, fixed_amount=fixed_amount,
                                       discount=0, code=code or ""))
    return basket


def _line(basket: Basket, line_id) -> BasketLine:
    for line in basket.lines:
        if line.id == line_id:
            return line
    raise ApiProblem(404, "unknown-line", f"line_id: no line {line_id} in this basket", field="line_id")


def set_quantity(session, till: Till, basket_id, line_id, quantity: int) -> Basket:
    basket = load_basket(session, till, basket_id)
    line = _line(basket, line_id)
    if line.fixed_amount is not None or (line.product.unit == "kg" and line.code):
        raise ApiProblem(422, "quantity-fixed", "quantity: this line's quantity comes from its barcode; "
                         "remove the line and scan again", field="quantity")
    check_quantity(line.product, quantity)
    line.quantity = quantity
    _check_discount_fits(line)
    return basket


def remove_line(session, till: Till, basket_id, line_id) -> Basket:
    basket = load_basket(session, till, basket_id)
    line = _line(basket, line_id)
    basket.lines.remove(line)
    session.delete(line)
    return basket


def _gross(line: BasketLine) -> int:
    if line.fixed_amount is not None:
        return line.fixed_amount
    return line_gross(line.product.unit, line.unit_price, line.quantity)


def _check_discount_fits(line: BasketLine) -> None:
    if line.discount > _gross(line):
        line.discount = _gross(line)


def _discount_amount(base: int, percent: float | None, amount: int | None, field: str) -> tuple[int, int]:
    """(amount, basis points) of a discount given as a percent or an amount."""
    if (percent is None) == (amount is None):
        raise ApiProblem(422, "invalid-discount", f"{field}: give either percent or amount", field=field)
    if percent is not None:
        basis_points = round(percent * 100)
        if not 0 <= basis_points <= 10000:
            raise ApiProblem(422, "invalid-discount", f"{field}.percent: must be between 0 and 100",
                             field=f"{field}.percent")
        return percent_of(base, basis_points), basis_points
    if amount < 0 or amount > base:
        raise ApiProblem(422, "invalid-discount", f"{field}.amount: must be between 0 and {base}",
                         field=f"{field}.amount")
    return amount, (amount * 10000 // base if base else 0)


def _needs_approval(till: Till, basis_points: int) -> bool:
    return basis_points > till.settings.discount_limit_percent * 100


def set_line_discount(session, till: Till, basket_id, line_id, percent=None, amount=None, approval=None) -> Basket:
    basket = load_basket(session, till, basket_id)
    line = _line(basket, line_id)
    value, basis_points = _discount_amount(_gross(line), percent, amount, "discount")
    if _needs_approval(till, basis_points):
        approve(session, approval, till.settings.pin_policy, action="line_discount", cashier=till.cashier,
                terminal=till.terminal, subject=f"basket {basket.id} line {line.id}",
                details={"amount": value, "percent_bp": basis_points, "sku": line.product.sku})
    line.discount = value
    return basket


def set_basket_discount(session, till: Till, basket_id, percent=None, amount=None, approval=None) -> Basket:
    basket = load_basket(session, till, basket_id)
    base = sum(_gross(line) - line.discount for line in basket.lines)
    value, basis_points = _discount_amount(base, percent, amount, "discount")
    if _needs_approval(till, basis_points):
        approve(session, approval, till.settings.pin_policy, action="basket_discount", cashier=till.cashier,
                terminal=till.terminal, subject=f"basket {basket.id}",
                details={"amount": value, "percent_bp": basis_points})
    if percent is not None:
        basket.discount_percent_bp, basket.discount_amount = round(percent * 100), 0
    else:
        basket.discount_percent_bp, basket.discount_amount = 0, value
    return basket


def park(session, till: Till, basket_id) -> Basket:
    basket = load_basket(session, till, basket_id)
    if not basket.lines:
        raise ApiProblem(422, "basket-empty", "basket_id: there is nothing to park", field="basket_id")
    basket.status = "parked"
    return basket


def resume(session, till: Till, basket_id) -> Basket:
    basket = load_basket(session, till, basket_id, statuses=("parked",))
    basket.status = "open"
    basket.terminal_id = till.terminal.id
    basket.cashier_id = till.cashier.id
    return basket


def cancel(session, till: Till, basket_id) -> Basket:
    basket = load_basket(session, till, basket_id, statuses=("open", "parked"))
    basket.status = "cancelled"
    return basket


def parked_baskets(session, till: Till) -> list[Basket]:
    return list(session.scalars(select(Basket).options(selectinload(Basket.lines).selectinload(BasketLine.product))
                                .where(Basket.status == "parked").order_by(Basket.updated_at)))


def priced(basket: Basket, vat_rates: dict):
    lines = [PricedLine(unit=line.product.unit, unit_price=line.unit_price, quantity=line.quantity,
                        vat_group=line.product.vat_group, vat_rate_bp=vat_rates.get(line.product.vat_group),
                        line_discount=line.discount, fixed_amount=line.fixed_amount) for line in basket.lines]
    return lines, price_basket(lines, basket.discount_percent_bp, basket.discount_amount)


def basket_json(basket: Basket, vat_rates: dict) -> dict:
    lines, totals = priced(basket, vat_rates)
    return {
        "id": str(basket.id),
        "status": basket.status,
        "currency": basket.currency,
        "customer_id": str(basket.customer_id) if basket.customer_id else None,
        "lines": [{
            "id": str(line.id), "position": line.position, "sku": line.product.sku, "name": line.product.name,
            "unit": line.product.unit, "quantity": line.quantity, "unit_price": line.unit_price,
            "gross": p.gross, "discount": p.discount, "amount": p.amount, "vat_group": p.vat_group,
            "code": line.code,
        } for line, p in zip(basket.lines, lines)],
        "subtotal": totals.subtotal,
        "discount_total": totals.discount_total,
        "total": totals.total,
        "vat": [{"vat_group": k, "vat_rate_bp": r, "gross": g, "vat": v} for k, (r, g, v) in totals.vat.items()],
        "item_count": len(basket.lines),
    }


def open_baskets_count(session, till: Till) -> int:
    return session.scalar(select(func.count()).select_from(Basket).where(
        Basket.terminal_id == till.terminal.id, Basket.status == "open"))
