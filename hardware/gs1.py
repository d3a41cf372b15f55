"""What a scanned code means for the till: GTIN, batch, expiry, net weight.

Parsing is biip's job; this module turns its result into the few fields a
sale needs.  Accepts plain EAN-13/EAN-8/UPC-A, GS1-128 and GS1 DataMatrix
element strings as scanners send them (with or without the ``]C1``/``]d2``
symbology prefix, FNC1 as the GS character) and the printed HRI form
``(01)...(17)...``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import biip

GS = "\x1d"
_HRI = re.compile(r"\((\d{2,4})\)([^()]*)")


class NotAGs1Code(ValueError):
    pass


@dataclass(frozen=True)
class ScannedItem:
    gtin: str | None  # 14 digits as biip normalises GTINs inside GS1 strings, else as scanned (8/12/13)
    batch: str | None = None
    expiry: date | None = None
    net_weight_grams: int | None = None
    raw: str = ""

    @property
    def gtin13(self) -> str | None:
        """The EAN-13 most catalogues key on (GTIN-14 with a leading packaging 0 dropped)."""
        if self.gtin and len(self.gtin) == 14 and self.gtin.startswith("0"):
            return self.gtin[1:]
        return self.gtin


def _from_hri(text: str) -> str:
    parts = _HRI.findall(text)
    return GS.join(ai + value for ai, value in parts) if parts else text


def parse_scan(code: str) -> ScannedItem:
    """Raise :class:`NotAGs1Code` for codes that are neither a valid GTIN nor GS1 element strings."""
    text = code.strip()
    if text.startswith("("):
        text = _from_hri(text)
    digits_only = text.isdigit()
    result = biip.parse(text)
    if result.gtin is not None and (digits_only and len(text) in (8, 12, 13, 14) or result.gs1_message is None):
        return ScannedItem(gtin=result.gtin.value, raw=code)
    if result.gs1_message is None:
        raise NotAGs1Code(result.gtin_error or result.gs1_message_error or f"cannot read {code!r}")
    gtin = batch = expiry = weight = None
    for element in result.gs1_message.element_strings:
        ai = element.ai.ai
        if ai in ("01", "02"):
            gtin = element.gtin.value if element.gtin else element.value
        elif ai == "10":
            batch = element.value
        elif ai in ("17", "15") and element.date is not None and (ai == "17" or expiry is None):
            expiry = element.date
        elif ai.startswith("310") and element.decimal is not None:
            weight = int(element.decimal * 1000)  # AI 310n is kilograms with n decimals
    if gtin is None and batch is None and expiry is None and weight is None:
        raise NotAGs1Code(f"{code!r} carries no product data")
    return ScannedItem(gtin=gtin, batch=batch, expiry=expiry, net_weight_grams=weight, raw=code)
