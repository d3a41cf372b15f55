"""What a scanned code means: a product barcode, a PLU, or an in-store code with an embedded
weight or price (GS1 prefixes 20–29, layout configurable)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import ean


class BarcodeError(ValueError):
    pass


@dataclass(frozen=True)
class EmbeddedLayout:
    """A template such as ``21PPPPPWWWWWC``: digits are the prefix, P the PLU, W grams,
    M the price in minor units, C the EAN check digit."""

    template: str

    def __post_init__(self):
        if len(self.template) != 13 or not re.fullmatch(r"\d+P+[WM]+C", self.template):
            raise ValueError(f"embedded code layout {self.template!r} must look like 21PPPPPWWWWWC")

    @property
    def prefix(self) -> str:
        return re.match(r"\d+", self.template).group()

    def _field(self, letter: str, code: str) -> str:
        start = self.template.index(letter)
        return code[start:self.template.rindex(letter) + 1]

    def parse(self, code: str) -> "ScannedCode | None":
        if not code.startswith(self.prefix):
            return None
        plu = int(self._field("P", code))
        if "W" in self.template:
            return ScannedCode(code, "weight", plu=plu, grams=int(self._field("W", code)))
        return ScannedCode(code, "price", plu=plu, price=int(self._field("M", code)))


@dataclass(frozen=True)
class ScannedCode:
    code: str
    kind: str  # ean13 | ean8 | upca | plu | weight | price
    plu: int | None = None
    grams: int | None = None
    price: int | None = None


def parse_layouts(setting: str) -> list[EmbeddedLayout]:
    return [EmbeddedLayout(part.strip()) for part in setting.split(",") if part.strip()]


def classify(code: str, layouts: list[EmbeddedLayout]) -> ScannedCode:
    """Raise BarcodeError with the reason when a code cannot be right."""
    code = code.strip()
    if not code.isdigit():
        raise BarcodeError("a barcode has digits only")
    if len(code) <= 5:
        return ScannedCode(code, "plu", plu=int(code))
    if len(code) not in (8, 12, 13):
        raise BarcodeError(f"a barcode has 8, 12 or 13 digits (or up to 5 for a PLU), not {len(code)}")
    if not ean.is_valid(code):
        raise BarcodeError("the check digit is wrong (misread or mistyped code)")
    if len(code) == 13 and code[0] == "2":
        for layout in layouts:
            parsed = layout.parse(code)
            if parsed is not None:
                return parsed
    return ScannedCode(code, {8: "ean8", 12: "upca", 13: "ean13"}[len(code)])


def with_check_digit(digits: str) -> str:
    return digits + ean.calc_check_digit(digits)
