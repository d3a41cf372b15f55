"""HQ side: each pushed change checked on its own before anything of it is written.

A change that would not fit (a missing field, a number beyond 64 bits, lines that do not add up to the
total, a stock document for another store's location) is refused with a problem naming the field
(changes[i].payload.lines[j].quantity); it goes to the quarantine and the rest of the batch goes on.

The request envelope is a pydantic model; a sale's payload (most of a batch) is checked here with plain
type tests instead, about a microsecond a field."""
from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from pos.customers.models import Customer
from pos.problems import PROBLEM_TYPE_BASE
from pos.returns.models import Return
from pos.sales.models import Basket, Payment, Sale, SaleLine, SaleVat
from pos.sales.pricing import vat_from_gross
from pos.stock.documents import KINDS as DOCUMENT_KINDS
from pos.stock.services import REASONS
from pos.stores.models import Terminal

BIGINT = 2 ** 63 - 1
# Business limits, far above any real till and far below where sums could overflow a 64-bit column.
MAX_MONEY = 10 ** 13  # minor units: a hundred billion złoty
MAX_QUANTITY = 10 ** 9  # pieces, or grams (a thousand tonnes)
MAX_POSITION = 2 ** 31 - 1  # an INTEGER column
MAX_DEPTH = 16  # a payload nested deeper than this is not something a till made


class Refused(Exception):
    """A change HQ will not apply as sent: it is quarantined with this problem, the batch goes on."""

    status = 422
    slug = "invalid-change"
    title = "Change refused"

    def __init__(self, field: str, reason: str, *, status: int | None = None, slug: str | None = None):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason
        self.status = status or self.status
        self.slug = slug or self.slug

    def problem(self) -> dict:
        return {"type": PROBLEM_TYPE_BASE + self.slug, "title": self.title, "status": self.status,
                "detail": str(self), "invalid_params": [{"name": self.field, "reason": self.reason}]}


class InvalidPayload(Refused):
    """The change's shape or sums are wrong."""


class NotYours(Refused):
    """The change writes a location (or a fact) that belongs to another store."""

    status, slug, title = 403, "other-store", "Not this store's location"


class Conflict(Refused):
    """The change collides with a fact HQ holds already (a receipt number taken by another sale)."""

    status, slug, title = 409, "conflict", "Conflicts with a fact HQ holds"


class Missing(Refused):
    """The change refers to something HQ has not received (a return of a sale that is itself quarantined)."""

    status, slug, title = 409, "missing-fact", "Refers to a fact HQ does not have"


@dataclass(frozen=True)
class Int:
    low: int
    high: int

    def __str__(self) -> str:
        return f"an integer from {self.low} to {self.high}"


TEXT, ID, WHEN, FLAG = "a string without NUL characters", "a UUID", "an ISO 8601 timestamp", "true or false"
INT = Int(-BIGINT - 1, BIGINT)
MONEY, SIGNED_MONEY = Int(0, MAX_MONEY), Int(-MAX_MONEY, MAX_MONEY)
QUANTITY, COUNT, POSITION = Int(1, MAX_QUANTITY), Int(1, BIGINT), Int(1, MAX_POSITION)
RATE = Int(0, 10000)  # basis points


def _max_length(column) -> int | None:
    return getattr(column.type, "length", None)


SALE = {"id": ID, "terminal": TEXT, "created_at": WHEN, "cashier_id": ID, "shift_id": ID, "currency": TEXT,
        "receipt_number": COUNT, "subtotal": MONEY, "discount_total": MONEY, "total": MONEY,
        "rounding": SIGNED_MONEY, "change": MONEY}
SALE_OPTIONAL = {"customer_id": ID, "fiscal_status": TEXT, "fiscal_number": TEXT, "store": TEXT}
LINE = {"id": ID, "position": POSITION, "product_id": ID, "sku": TEXT, "name": TEXT, "unit": TEXT,
        "quantity": QUANTITY, "unit_price": MONEY, "gross": MONEY, "discount": MONEY, "amount": MONEY,
        "vat_group": TEXT}
LINE_OPTIONAL = {"vat_rate_bp": RATE}
VAT = {"vat_group": TEXT, "gross": MONEY, "vat": MONEY}
VAT_OPTIONAL = {"vat_rate_bp": RATE}
PAYMENT = {"method": TEXT, "amount": Int(1, MAX_MONEY)}
PAYMENT_OPTIONAL = {"reference": TEXT}
_TERMINAL = _max_length(Terminal.__table__.c.code)
_CURRENCY = _max_length(Basket.__table__.c.currency)
# Text the database would refuse as too long (the terminal's code included: HQ may have to add the terminal).
LENGTHS = {
    "sale": {"terminal": _TERMINAL, "currency": _CURRENCY,
             "fiscal_status": _max_length(Sale.__table__.c.fiscal_status),
             "fiscal_number": _max_length(Sale.__table__.c.fiscal_number)},
    "line": {name: _max_length(SaleLine.__table__.c[name]) for name in ("sku", "name", "unit", "vat_group")},
    "vat": {"vat_group": _max_length(SaleVat.__table__.c.vat_group)},
    "payment": {"method": _max_length(Payment.__table__.c.method),
                "reference": _max_length(Payment.__table__.c.reference)},
    "return": {"terminal": _TERMINAL, "currency": _CURRENCY, "reason": _max_length(Return.__table__.c.reason)},
    "shift": {"terminal": _TERMINAL, "currency": _CURRENCY},
    "customer": {name: _max_length(Customer.__table__.c[name]) for name in ("name", "phone", "email", "card",
                                                                           "origin")},
    "none": {},
}


def _fits(value, kind) -> bool:
    if type(kind) is Int:
        return type(value) is int and kind.low <= value <= kind.high
    if kind is FLAG:
        return type(value) is bool
    if not isinstance(value, str) or "\x00" in value:
        return False
    if kind is ID:
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    elif kind is WHEN:
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


def _items(obj: dict, where: str, name: str, *, at_least: int = 0) -> list:
    items = obj.get(name)
    if not isinstance(items, list):
        raise InvalidPayload(f"{where}.{name}", "must be a list")
    if len(items) < at_least:
        raise InvalidPayload(f"{where}.{name}", f"needs at least {at_least} item(s)")
    return items


def _adds_up(where: str, name: str, said: int, counted: int, what: str) -> None:
    if said != counted:
        raise InvalidPayload(f"{where}.{name}", f"says {said}, but {what} come to {counted}")


def _own(payload: dict, where: str, name: str, store: str) -> None:
    named = payload.get(name)
    if named is not None and named != store:
        raise NotYours(f"{where}.{name}", f"location {named!r} is not this store's (the token is {store}'s); "
                                          f"nothing of this change was applied")


def storable(value, where: str, depth: int = 0) -> None:
    """Anything a payload keeps as JSON: PostgreSQL refuses NUL in text, numbers beyond what it stores,
    and NaN or infinity, so each is refused here by its path instead of failing the insert."""
    if depth > MAX_DEPTH:
        raise InvalidPayload(where, f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise InvalidPayload(where, "a key contains a NUL character")
            storable(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            storable(item, f"{where}[{index}]", depth + 1)
    elif isinstance(value, str):
        if "\x00" in value:
            raise InvalidPayload(where, "contains a NUL character")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -BIGINT - 1 <= value <= BIGINT:
            raise InvalidPayload(where, f"must be {INT}")
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidPayload(where, "must be a finite number")


def check_sale(payload: dict, where: str, store: str | None = None) -> None:
    """where: how the request names this payload, e.g. 'changes[3].payload'."""
    if store is not None:  # whose it is first: a change for another store is refused as that, whatever its shape
        _own(payload, where, "store", store)
    _record(payload, where, SALE, SALE_OPTIONAL, LENGTHS["sale"])
    lines = _items(payload, where, "lines", at_least=1)
    by_group: dict[str, int] = {}
    for j, line in enumerate(lines):
        at = f"{where}.lines[{j}]"
        _record(line, at, LINE, LINE_OPTIONAL, LENGTHS["line"])
        _adds_up(at, "amount", line["amount"], line["gross"] - line["discount"], "gross less discount")
        by_group[line["vat_group"]] = by_group.get(line["vat_group"], 0) + line["amount"]
    vat = _items(payload, where, "vat")
    for j, group in enumerate(vat):
        at = f"{where}.vat[{j}]"
        _record(group, at, VAT, VAT_OPTIONAL, LENGTHS["vat"])
        _adds_up(at, "gross", group["gross"], by_group.pop(group["vat_group"], 0),
                 f"the amounts of the lines in group {group['vat_group']}")
        _adds_up(at, "vat", group["vat"], vat_from_gross(group["gross"], group.get("vat_rate_bp")),
                 "the VAT of that gross at that rate")
    if by_group:
        raise InvalidPayload(f"{where}.vat", f"has no entry for VAT group(s) {', '.join(sorted(by_group))}")
    payments = _items(payload, where, "payments")  # a sale discounted to nothing is paid by nothing
    for j, pay in enumerate(payments):
        _record(pay, f"{where}.payments[{j}]", PAYMENT, PAYMENT_OPTIONAL, LENGTHS["payment"])
    _adds_up(where, "subtotal", payload["subtotal"], sum(line["gross"] for line in lines), "the lines' gross")
    _adds_up(where, "discount_total", payload["discount_total"], sum(line["discount"] for line in lines),
             "the lines' discounts")
    _adds_up(where, "total", payload["total"], payload["subtotal"] - payload["discount_total"],
             "subtotal less discounts")
    _adds_up(where, "payments", sum(pay["amount"] for pay in payments) - payload["change"],
             payload["total"] + payload["rounding"], "the total with its rounding")


RETURN = {"id": ID, "sale_id": ID, "terminal": TEXT, "created_at": WHEN, "currency": TEXT, "total": MONEY,
          "approved_by": ID}
RETURN_OPTIONAL = {"rounding": SIGNED_MONEY, "reason": TEXT, "cashier_id": ID, "shift_id": ID, "store": TEXT}
RETURN_LINE = {"sale_line_id": ID, "quantity": QUANTITY, "amount": MONEY}
REFUND = {"method": TEXT, "amount": Int(1, MAX_MONEY)}


def check_return(payload: dict, where: str, store: str) -> None:
    _own(payload, where, "store", store)
    _record(payload, where, RETURN, RETURN_OPTIONAL, LENGTHS["return"])
    lines = _items(payload, where, "lines", at_least=1)
    seen = set()
    for j, line in enumerate(lines):
        _record(line, f"{where}.lines[{j}]", RETURN_LINE, {}, {})
        if line["sale_line_id"] in seen:
            raise InvalidPayload(f"{where}.lines[{j}].sale_line_id", "listed twice")
        seen.add(line["sale_line_id"])
    refunds = _items(payload, where, "refunds")
    for j, refund in enumerate(refunds):
        _record(refund, f"{where}.refunds[{j}]", REFUND, {}, LENGTHS["payment"])
    _adds_up(where, "total", payload["total"], sum(line["amount"] for line in lines), "the lines' amounts")
    _adds_up(where, "refunds", sum(refund["amount"] for refund in refunds),
             payload["total"] + (payload.get("rounding") or 0), "the total with its rounding")


SHIFT = {"id": ID, "terminal": TEXT, "currency": TEXT, "opening_float": MONEY, "opened_at": WHEN, "status": TEXT}
SHIFT_OPTIONAL = {"closed_at": WHEN, "counted_cash": MONEY, "expected_cash": SIGNED_MONEY,
                  "over_short": SIGNED_MONEY, "cashier_id": ID}


def check_shift(payload: dict, where: str, store: str) -> None:
    _record(payload, where, SHIFT, SHIFT_OPTIONAL, LENGTHS["shift"])
    if payload["status"] not in ("open", "closed"):
        raise InvalidPayload(f"{where}.status", "must be open or closed")


def check_day_report(payload: dict, where: str, store: str) -> None:
    _record(payload, where, {"id": ID, "terminal": TEXT, "number": COUNT, "created_at": WHEN},
            {"created_by": ID}, {"terminal": _TERMINAL})
    storable(payload, where)


MOVEMENT = {"product_id": ID, "quantity": Int(-MAX_QUANTITY, MAX_QUANTITY)}
MOVEMENT_OPTIONAL = {"sku": TEXT, "name": TEXT, "unit": TEXT, "reason": TEXT, "vat_group": TEXT}
MOVEMENT_LENGTHS = {name: LENGTHS["line"][name] for name in ("sku", "name", "unit", "vat_group")}
DOCUMENT_REASONS = {"receipt": "receipt", "transfer": "transfer_out", "count": "count", "damage": "damage"}
SIGN = {"receipt": 1, "transfer": -1, "damage": -1}  # a count may go either way


def _movements(payload: dict, where: str, name: str) -> list:
    items = payload.get(name) or []
    if not isinstance(items, list):
        raise InvalidPayload(f"{where}.{name}", "must be a list")
    for j, item in enumerate(items):
        at = f"{where}.{name}[{j}]"
        _record(item, at, MOVEMENT, MOVEMENT_OPTIONAL, MOVEMENT_LENGTHS)
        if item["quantity"] == 0:
            raise InvalidPayload(f"{at}.quantity", "must not be zero")
        if item.get("reason") is not None and item["reason"] not in REASONS:
            raise InvalidPayload(f"{at}.reason", f"must be one of {', '.join(REASONS)}")
    return items


def check_stock_document(payload: dict, where: str, store: str) -> None:
    """A store books its own location's stock; a transfer may add to another location only the units it
    took off its own (its arrivals mirror its movements), so no store can make units appear elsewhere."""
    _own(payload, where, "location", store)
    _record(payload, where, {"id": ID, "kind": TEXT, "location": TEXT},
            {"to_location": TEXT, "reason": TEXT, "created_at": WHEN}, {})
    kind = payload["kind"]
    if kind not in DOCUMENT_KINDS:
        raise InvalidPayload(f"{where}.kind", f"must be one of {', '.join(DOCUMENT_KINDS)}")
    if payload.get("reason") not in (None, DOCUMENT_REASONS[kind]):
        raise InvalidPayload(f"{where}.reason", f"a {kind} books {DOCUMENT_REASONS[kind]}")
    movements = _movements(payload, where, "movements")
    arrivals = _movements(payload, where, "arrivals")
    sign = SIGN.get(kind)
    for j, item in enumerate(movements):
        if sign and item["quantity"] * sign < 0:
            raise InvalidPayload(f"{where}.movements[{j}].quantity",
                                 f"a {kind} {'adds' if sign > 0 else 'takes off'} stock")
    if kind != "transfer":
        if arrivals or payload.get("to_location"):
            raise InvalidPayload(f"{where}.arrivals", f"only a transfer books arrivals, this is a {kind}")
        return
    if payload.get("to_location") in (None, store):
        raise InvalidPayload(f"{where}.to_location", "a transfer goes to another location")
    sent = sorted((item["product_id"], -item["quantity"]) for item in movements)
    if sorted((item["product_id"], item["quantity"]) for item in arrivals) != sent:
        raise NotYours(f"{where}.arrivals", f"must be exactly the units taken off {store} by this transfer; "
                                            f"a store cannot add stock at {payload['to_location']!r}")


def check_stock_movement(payload: dict, where: str, store: str) -> None:
    if not isinstance(payload, dict):
        raise InvalidPayload(where, "must be an object")
    _own(payload, where, "location", store)
    if "movements" not in payload:  # a single movement
        _record(payload, where, MOVEMENT, MOVEMENT_OPTIONAL, MOVEMENT_LENGTHS)
        if payload.get("reason") not in REASONS:
            raise InvalidPayload(f"{where}.reason", f"must be one of {', '.join(REASONS)}")
        return
    for j, item in enumerate(_movements(payload, where, "movements")):
        if (item.get("reason") or payload.get("reason")) not in REASONS:
            raise InvalidPayload(f"{where}.movements[{j}].reason", f"must be one of {', '.join(REASONS)}")


def check_customer(payload: dict, where: str, store: str) -> None:
    _record(payload, where, {"id": ID}, {name: TEXT for name in LENGTHS["customer"]} | {"merged_into": ID},
            LENGTHS["customer"])
    storable(payload, where)


FISCAL_STATUSES = ("confirmed", "not_fiscal", "failed", "voided", "handled")


def check_fiscal(payload: dict, where: str, store: str) -> None:
    _record(payload, where, {"sale_id": ID, "fiscal_status": TEXT, "at": WHEN}, {"fiscal_number": TEXT},
            {"fiscal_number": 64})
    if payload["fiscal_status"] not in FISCAL_STATUSES:
        raise InvalidPayload(f"{where}.fiscal_status", f"must be one of {', '.join(FISCAL_STATUSES)}")


GIFT_CARD_OPS = ("issued", "redeemed_offline", "refunded")


def check_gift_card(payload: dict, where: str, store: str) -> None:
    _record(payload, where, {"op": TEXT, "key": TEXT, "code": TEXT, "amount": Int(1, MAX_MONEY), "at": WHEN},
            {"currency": TEXT, "reference": TEXT, "card_id": ID, "expires_at": WHEN},
            {"key": 200, "code": 32, "reference": 100, "currency": 3})
    if payload["op"] not in GIFT_CARD_OPS:
        raise InvalidPayload(f"{where}.op", f"must be one of {', '.join(GIFT_CARD_OPS)}")
    for name in ("card_id", "expires_at", "currency") if payload["op"] == "issued" else ():
        if not payload.get(name):
            raise InvalidPayload(f"{where}.{name}", "is required")
def check_coupon_redemption(payload: dict, where: str, store: str) -> None:
    _record(payload, where, {"id": ID, "campaign_id": ID, "code": TEXT, "discount": MONEY, "currency": TEXT,
                             "redeemed_at": WHEN}, {"customer_id": ID, "reference": TEXT, "idempotency_key": TEXT},
            {"code": 32, "currency": 3, "reference": 200, "idempotency_key": 150})


# (payload, where, store code): every entity a store may push; others are acknowledged and ignored.
CHECKS = {"sale": check_sale, "return": check_return, "shift": check_shift, "day_report": check_day_report,
          "stock_document": check_stock_document, "stock_movement": check_stock_movement,
          "customer": check_customer, "fiscal": check_fiscal, "gift_card": check_gift_card,
          "coupon_redemption": check_coupon_redemption}


def check_change(change: dict, where: str, store: str) -> None:
    """One change of a push (where: 'changes[3]'), against the token's store."""
    for name in ("entity", "entity_id", "op"):
        if "\x00" in (change.get(name) or ""):
            raise InvalidPayload(f"{where}.{name}", "contains a NUL character")
    if check := CHECKS.get(change["entity"]):
        if not isinstance(change["payload"], dict):
            raise InvalidPayload(f"{where}.payload", "must be an object")
        check(change["payload"], f"{where}.payload", store)
