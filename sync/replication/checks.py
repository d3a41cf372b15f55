"""HQ side: the shape of a pushed sale, checked before anything is written.

The request envelope is a pydantic model; a sale's payload (most of a batch) is checked here with plain
type tests instead, about a microsecond a field.  A payload that would break the insert is refused with a
422 naming the field (changes[i].payload.lines[j].quantity), not a 500 the store would retry for ever."""
from __future__ import annotations

import datetime as dt
import uuid

from pos.sales.models import Basket, Payment, Sale, SaleLine, SaleVat
from pos.stores.models import Terminal

INT, TEXT, ID, WHEN = "an integer", "a string", "a UUID", "an ISO 8601 timestamp"


def _max_length(column) -> int | None:
    return getattr(column.type, "length", None)


SALE = {"id": ID, "terminal": TEXT, "created_at": WHEN, "cashier_id": ID, "shift_id": ID, "currency": TEXT,
        "receipt_number": INT, "subtotal": INT, "discount_total": INT, "total": INT, "rounding": INT, "change": INT}
SALE_OPTIONAL = {"customer_id": ID, "fiscal_status": TEXT, "fiscal_number": TEXT}
LINE = {"id": ID, "position": INT, "product_id": ID, "sku": TEXT, "name": TEXT, "unit": TEXT, "quantity": INT,
        "unit_price": INT, "gross": INT, "discount": INT, "amount": INT, "vat_group": TEXT}
LINE_OPTIONAL = {"vat_rate_bp": INT}
VAT = {"vat_group": TEXT, "gross": INT, "vat": INT}
VAT_OPTIONAL = {"vat_rate_bp": INT}
PAYMENT = {"method": TEXT, "amount": INT}
PAYMENT_OPTIONAL = {"reference": TEXT}
# Text the database would refuse as too long (the terminal's code included: HQ may have to add the terminal).
LENGTHS = {
    "sale": {"terminal": _max_length(Terminal.__table__.c.code), "currency": _max_length(Basket.__table__.c.currency),
             "fiscal_status": _max_length(Sale.__table__.c.fiscal_status),
             "fiscal_number": _max_length(Sale.__table__.c.fiscal_number)},
    "line": {name: _max_length(SaleLine.__table__.c[name]) for name in ("sku", "name", "unit", "vat_group")},
    "vat": {"vat_group": _max_length(SaleVat.__table__.c.vat_group)},
    "payment": {"method": _max_length(Payment.__table__.c.method),
                "reference": _max_length(Payment.__table__.c.reference)},
}


class InvalidPayload(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field


def _fits(value, kind: str) -> bool:
    if kind == INT:
        return type(value) is int
    if not isinstance(value, str):
        return False
    if kind == ID:
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    elif kind == WHEN:
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return False
    return True


def _record(obj, where: str, required: dict, optional: dict, lengths: dict) -> None:
    if not isinstance(obj, dict):
        raise InvalidPayload(where, "must be an object")
    for name, kind in required.items():
        if name not in obj:
            raise InvalidPayload(f"{where}.{name}", "is required")
        if not _fits(obj[name], kind):
            raise InvalidPayload(f"{where}.{name}", f"must be {kind}")
    for name, kind in optional.items():
        value = obj.get(name)
        if value is not None and not _fits(value, kind):
            raise InvalidPayload(f"{where}.{name}", f"must be {kind} or null")
    for name, limit in lengths.items():
        value = obj.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidPayload(f"{where}.{name}", f"at most {limit} characters")


def _items(obj: dict, where: str, name: str) -> list:
    items = obj.get(name)
    if not isinstance(items, list):
        raise InvalidPayload(f"{where}.{name}", "must be a list")
    return items


def check_sale(payload: dict, where: str) -> None:
    """where: how the request names this payload, e.g. 'changes[3].payload'."""
    _record(payload, where, SALE, SALE_OPTIONAL, LENGTHS["sale"])
    for j, line in enumerate(_items(payload, where, "lines")):
        _record(line, f"{where}.lines[{j}]", LINE, LINE_OPTIONAL, LENGTHS["line"])
    for j, vat in enumerate(_items(payload, where, "vat")):
        _record(vat, f"{where}.vat[{j}]", VAT, VAT_OPTIONAL, LENGTHS["vat"])
    for j, pay in enumerate(_items(payload, where, "payments")):
        _record(pay, f"{where}.payments[{j}]", PAYMENT, PAYMENT_OPTIONAL, LENGTHS["payment"])


CHECKS = {"sale": check_sale}
