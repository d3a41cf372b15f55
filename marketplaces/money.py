"""Channel money (decimal strings) to integer minor units."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision


def to_minor_units(amount: str | int | float | Decimal, currency: str) -> int:
    """``"12.34", "PLN"`` -> 1234; refuses amounts finer than the currency allows."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"not an amount: {amount!r}") from None
    scaled = value.scaleb(get_currency_precision(currency.upper()))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency allows")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> str:
    """1234, "PLN" -> "12.34" (the form channels expect in their JSON)."""
    precision = get_currency_precision(currency.upper())
    return str(Decimal(minor).scaleb(-precision).quantize(Decimal(1).scaleb(-precision)))
