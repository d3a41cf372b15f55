"""How amounts and quantities look on paper: integer minor units, decimal comma."""
from __future__ import annotations

from babel.numbers import get_currency_precision

_DECIMAL_POINT_LANGUAGES = {"en"}


def decimal_separator(language: str) -> str:
    return "." if language in _DECIMAL_POINT_LANGUAGES else ","


def format_money(minor_units: int, currency: str = "PLN", language: str = "pl") -> str:
    """``1230`` PLN → ``"12,30"``; no thousands grouping, because the grouping
    space of pl/cs/uk is a no-break space that many printer code pages lack."""
    digits = get_currency_precision(currency) if currency else 2
    sign = "-" if minor_units < 0 else ""
    value = abs(int(minor_units))
    if digits == 0:
        return f"{sign}{value}"
    whole, fraction = divmod(value, 10**digits)
    return f"{sign}{whole}{decimal_separator(language)}{fraction:0{digits}d}"


def format_quantity(quantity: int, unit: str, language: str = "pl") -> str:
    """Pieces as a whole number; weighed goods arrive in grams and print in kg (``352`` → ``0,352 kg``)."""
    if unit == "kg":
        whole, grams = divmod(int(quantity), 1000)
        return f"{whole}{decimal_separator(language)}{grams:03d} kg"
    return str(int(quantity))


def format_rate(rate_bp: int | None, exempt_word: str, language: str = "pl") -> str:
    """VAT rate from basis points: ``2300`` → ``23%``, ``550`` → ``5,5%``; None is exempt."""
    if rate_bp is None:
        return exempt_word
    whole, rest = divmod(int(rate_bp), 100)
    if rest == 0:
        return f"{whole}%"
    return f"{whole}{decimal_separator(language)}{rest:02d}".rstrip("0") + "%"
