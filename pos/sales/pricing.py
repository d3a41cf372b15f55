"""Exact money: integer minor units, one rounding rule, VAT the way the fiscal printer computes it.

Rounding rule (all countries): half up, away from zero, to the minor unit.
- A weighed line: unit price per kg × grams / 1000, rounded.
- VAT per group is computed once on the group's gross total, not per line
  (VAT = gross × rate / (100% + rate), rounded), because that is what a Polish fiscal
  printer prints on the receipt; the books use the same figures.
- A basket discount is split over the lines in proportion to their amounts, the
  leftover minor units going to the largest remainders, so every line and VAT group
  still adds up to the total exactly.
- A coupon's discount (pos.coupons.rules) is a discount of the lines it applies to, taken after their own
  discounts and before the basket's: each such line carries its share, so the fiscal printer gets it as
  a line discount.
- Cash rounding (Czechia to 1 Kč, Ukraine to 0.10 ₴) applies only to the part paid
  in cash, is shown as its own row and is outside VAT.
"""
from __future__ import annotations

from dataclasses import dataclass


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers only."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def line_gross(unit: str, unit_price: int, quantity: int) -> int:
    """Pieces × price, or grams × price-per-kg / 1000."""
    if unit == "kg":
        return round_half_up(unit_price * quantity, 1000)
    return unit_price * quantity


def percent_of(amount: int, basis_points: int) -> int:
    return round_half_up(amount * basis_points, 10000)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally; the parts sum to ``total`` exactly."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    leftovers = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in leftovers[: total - sum(shares)]:
        shares[i] += 1
    return shares


def vat_from_gross(gross: int, rate_bp: int | None) -> int:
    if not rate_bp:
        return 0
    return round_half_up(gross * rate_bp, 10000 + rate_bp)


def cash_round(amount: int, step: int) -> int:
    """Round an amount due in cash to the country's smallest cash unit (half up)."""
    if step <= 1:
        return amount
    return round_half_up(amount, step) * step


@dataclass
class PricedLine:
    unit: str
    unit_price: int
    quantity: int
    vat_group: str
    vat_rate_bp: int | None
    line_discount: int = 0
    fixed_amount: int | None = None  # price-embedded code
    gross: int = 0
    basket_discount: int = 0
    product_group: str = ""
    coupon_discount: int = 0

    @property
    def discount(self) -> int:
        return self.line_discount + self.coupon_discount + self.basket_discount

    @property
    def amount(self) -> int:
        return self.gross - self.discount


@dataclass
class Totals:
    subtotal: int
    discount_total: int
    total: int
    vat: dict  # letter -> (rate_bp, gross, vat)


def price_basket(lines: list[PricedLine], basket_percent_bp: int = 0, basket_amount: int = 0,
                 coupon=None) -> Totals:
    """Fill in each line's gross and basket-discount share; return the basket's totals.

    ``coupon(lines)``: each line's coupon discount, given the lines with their gross filled in."""
    for line in lines:
        line.gross = line.fixed_amount if line.fixed_amount is not None else line_gross(
            line.unit, line.unit_price, line.quantity)
        if line.line_discount > line.gross:
            raise ValueError("a line discount cannot exceed the line's amount")
    if coupon is not None:
        for line, share in zip(lines, coupon(lines)):
            line.coupon_discount = share
    after_line = [line.gross - line.line_discount - line.coupon_discount for line in lines]
    base = sum(after_line)
    # A fixed basket discount set before lines were removed shrinks with the basket rather than go negative.
    basket_discount = min(percent_of(base, basket_percent_bp) + basket_amount, base)
    for line, share in zip(lines, allocate(basket_discount, after_line)):
        line.basket_discount = share
    vat: dict = {}
    for line in lines:
        rate, gross, _ = vat.get(line.vat_group, (line.vat_rate_bp, 0, 0))
        vat[line.vat_group] = (rate, gross + line.amount, 0)
    vat = {letter: (rate, gross, vat_from_gross(gross, rate)) for letter, (rate, gross, _) in sorted(vat.items())}
    subtotal = sum(line.gross for line in lines)
    discount_total = sum(line.discount for line in lines)
    return Totals(subtotal, discount_total, subtotal - discount_total, vat)


@dataclass
class Settlement:
    rounding: int
    to_pay: int
    change: int
    cash_taken: int  # what stays in the drawer from this sale (cash paid − change)


class PaymentError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def settle(total: int, payments: list[tuple[str, int]], cash_step: int) -> Settlement:
    """Check the tenders against the total.

    Card and other tenders may never exceed what remains to pay (no change on a card);
    only cash gives change.  Cash rounding applies to the part paid in cash.
    """
    non_cash = 0
    cash = 0
    for index, (method, amount) in enumerate(payments):
        if amount <= 0:
            raise PaymentError(f"payments[{index}].amount", "must be greater than zero")
        if method == "cash":
            cash += amount
            continue
        non_cash += amount
        if non_cash > total:
            raise PaymentError(f"payments[{index}].amount",
                               f"{method} payments exceed the amount due ({total}); only cash gives change")
    remainder = total - non_cash
    if cash == 0:
        if remainder > 0:
            raise PaymentError("payments", f"payments are short of the total by {remainder}")
        return Settlement(0, total, 0, 0)
    cash_due = cash_round(remainder, cash_step)
    rounding = cash_due - remainder
    if cash < cash_due:
        raise PaymentError("payments", f"payments are short of the total by {cash_due - cash}")
    change = cash - cash_due
    return Settlement(rounding, total + rounding, change, cash - change)
