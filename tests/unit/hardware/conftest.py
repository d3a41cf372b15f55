"""Fixtures for the store-device unit tests: a sample receipt document and an
independent ESC/POS text decoder (it knows nothing of the driver's encoder)."""
from __future__ import annotations

import copy

import pytest
from escpos.capabilities import get_profile

SAMPLE_RECEIPT = {
    "store": {"name": "Sklep Demo", "address": "ul. Długa 1, 00-001 Warszawa", "tax_id": "PL5260250995"},
    "language": "pl",
    "fiscal": True,
    "terminal": "T1", "cashier": "demo", "receipt_number": 42, "sale_id": "0190f1ab-77aa",
    "issued_at": "2026-11-23T15:04:05+01:00",
    "currency": "PLN",
    "lines": [
        {"name": "Chleb żytni", "quantity": 2, "unit": "pcs", "unit_price": 450, "discount": 0,
         "amount": 900, "vat_letter": "C"},
        {"name": "Ser gouda", "quantity": 352, "unit": "kg", "unit_price": 3990, "discount": 100,
         "amount": 1304, "vat_letter": "C"},
    ],
    "basket_discount": 0,
    "vat": [{"letter": "A", "rate_bp": 2300, "gross": 1230, "vat": 230},
            {"letter": "E", "rate_bp": None, "gross": 500, "vat": 0}],
    "total": 2204, "rounding": 0,
    "payments": [{"method": "card", "amount": 1000, "reference": "1234"}, {"method": "cash", "amount": 1500}],
    "change": 296,
    "footer": ["Dziękujemy za zakupy!"],
}

# ESC and GS commands with a fixed number of parameter bytes (ESC/POS reference)
_ESC_ARGS = {b"@": 0, b"!": 1, b"E": 1, b"G": 1, b"-": 1, b"a": 1, b"t": 1, b"d": 1, b"J": 1,
             b"M": 1, b"2": 0, b"3": 1, b"p": 3, b"{": 1}
_GS_ARGS = {b"!": 1, b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"b": 1}


def decode_escpos_text(data: bytes, profile: str = "TM-T88V") -> list[str]:
    """Printed text lines of an ESC/POS job: ESC t selects the code page (by the
    profile's numbering) and every text byte is decoded in the page in force."""
    pages = {int(k): v for k, v in get_profile(profile).codePages.items()}
    codec = "cp437"
    lines, current, i = [], bytearray(), 0
    text = []

    def flush_bytes():
        if current:
            text.append(bytes(current).decode(codec))
            current.clear()

    while i < len(data):
        byte = data[i:i + 1]
        if byte == b"\n":
            flush_bytes()
            lines.append("".join(text))
            text.clear()
            i += 1
        elif byte == b"\x1b":
            command = data[i + 1:i + 2]
            if command == b"t":
                flush_bytes()
                codec = pages[data[i + 2]].lower().replace("_", "-")
            if command == b"*":  # column image: ESC * m nL nH, 1 or 3 bytes a column
                columns = data[i + 3] + 256 * data[i + 4]
                i += 5 + columns * (3 if data[i + 2] in (32, 33) else 1)
                continue
            i += 2 + _ESC_ARGS[command]
        elif byte == b"\x1d":
            command = data[i + 1:i + 2]
            if command == b"V":
                i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
            elif command == b"k":
                i += 4 + data[i + 3] if data[i + 2] >= 65 else data.index(b"\x00", i) + 1 - i
            elif command in (b"(", b"v"):
                if command == b"(":
                    i += 5 + data[i + 3] + 256 * data[i + 4]
                else:
                    width, height = data[i + 4] + 256 * data[i + 5], data[i + 6] + 256 * data[i + 7]
                    i += 8 + width * height
            else:
                i += 2 + _GS_ARGS[command]
        elif data[i] < 0x20:
            i += 1
        else:
            current.append(data[i])
            i += 1
    flush_bytes()
    if text:
        lines.append("".join(text))
    return lines


@pytest.fixture
def receipt():
    return copy.deepcopy(SAMPLE_RECEIPT)


@pytest.fixture
def decode():
    return decode_escpos_text
