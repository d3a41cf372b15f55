"""Per-country rules: currency, VAT letters and rates, cash rounding.

VAT groups are letters on products; a store's country maps each letter to a rate
(in basis points, None = exempt) and to the fiscal printer's letter (the same letter).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    language: str
    timezone: str
    vat_rates: dict  # letter -> basis points, or None for exempt
    # Cash payments are rounded to this many minor units (1 = no rounding):
    # Czechia to whole crowns (100 haléřů), Ukraine to 10 kopiyok (NBU rule since 2019).
    cash_rounding_step: int = 1


COUNTRIES = {
    "PL": Country("PL", "PLN", "pl", "Europe/Warsaw", {"A": 2300, "B": 800, "C": 500, "D": 0, "E": None}),
    "CZ": Country("CZ", "CZK", "cs", "Europe/Prague", {"A": 2100, "B": 1200, "C": 0}, cash_rounding_step=100),
    "UA": Country("UA", "UAH", "uk", "Europe/Kyiv", {"A": 2000, "B": 700, "C": 0}, cash_rounding_step=10),
}


def country(code: str) -> Country:
    try:
        return COUNTRIES[code.upper()]
    except KeyError:
        raise RuntimeError(f"POS_COUNTRY must be one of {', '.join(COUNTRIES)}, got {code!r}") from None
