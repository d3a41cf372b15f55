"""Loading products from CSV: every bad row reported by line number, nothing half-written."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import insert, select, update
from stdnum import ean

from pos.catalogue.models import Barcode, Product
from pos.db import utcnow
from pos.feed.services import record_change
from pos.ids import new_id
from pos.text import search_key

COLUMNS = ("sku", "name", "unit", "vat_group", "price", "barcodes", "plu")
REQUIRED = ("sku", "name", "unit", "vat_group", "price")


@dataclass
class ProductRow:
    line: int
    sku: str
    name: str
    unit: str
    vat_group: str
    price: int
    barcodes: list = field(default_factory=list)
    plu: int | None = None


@dataclass
class BadRow:
    line: int
    reason: str


def parse_price(text: str) -> int:
    """'12,99' or '12.99' → 1299 minor units; more than two decimals is an error, not a rounding."""
    value = Decimal(text.strip().replace(",", "."))
    minor = value * 100
    if minor != minor.to_integral_value() or value < 0:
        raise InvalidOperation
    return int(minor)


def barcode_kind(code: str) -> str:
    return {8: "ean8", 12: "upca", 13: "ean13"}.get(len(code), "internal")


def read_rows(lines, vat_groups) -> tuple[list[ProductRow], list[BadRow]]:
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        return [], [BadRow(1, f"missing column(s): {', '.join(missing)} (expected {', '.join(COLUMNS)})")]
    good, bad = [], []
    seen_sku, seen_code, seen_plu = {}, {}, {}
    for row in reader:
        line = reader.line_num
        try:
            good.append(_parse_row(line, row, vat_groups, seen_sku, seen_code, seen_plu))
        except ValueError as exc:
            bad.append(BadRow(line, str(exc)))
    return good, bad


def _parse_row(line, row, vat_groups, seen_sku, seen_code, seen_plu) -> ProductRow:
    if None in row:
        raise ValueError("too many columns")
    sku = (row.get("sku") or "").strip()
    name = (row.get("name") or "").strip()
    unit = (row.get("unit") or "").strip().lower()
    vat_group = (row.get("vat_group") or "").strip().upper()
    if not sku or len(sku) > 64:
        raise ValueError("sku: required, at most 64 characters")
    if sku in seen_sku:
        raise ValueError(f"sku: {sku} already on line {seen_sku[sku]}")
    if not name or len(name) > 200:
        raise ValueError("name: required, at most 200 characters")
    if unit not in ("pcs", "kg"):
        raise ValueError(f"unit: must be pcs or kg, not {unit!r}")
    if vat_group not in vat_groups:
        raise ValueError(f"vat_group: must be one of {', '.join(sorted(vat_groups))}, not {vat_group!r}")
    try:
        price = parse_price(row.get("price") or "")
    except (InvalidOperation, ValueError):
        raise ValueError(f"price: {row.get('price')!r} is not an amount like 12.99") from None
    codes = [c for c in (row.get("barcodes") or "").replace("|", " ").split() if c]
    for code in codes:
        if not code.isdigit() or len(code) not in (8, 12, 13) or not ean.is_valid(code):
            raise ValueError(f"barcodes: {code} is not a valid EAN-13, EAN-8 or UPC-A (check digit)")
        if code in seen_code:
            raise ValueError(f"barcodes: {code} already on line {seen_code[code]}")
    plu = None
    if (row.get("plu") or "").strip():
        text = row["plu"].strip()
        if not text.isdigit() or not 1 <= int(text) <= 99999:
            raise ValueError(f"plu: must be a number from 1 to 99999, not {text!r}")
        plu = int(text)
        if plu in seen_plu:
            raise ValueError(f"plu: {plu} already on line {seen_plu[plu]}")
        seen_plu[plu] = line
    seen_sku[sku] = line
    for code in codes:
        seen_code[code] = line
    return ProductRow(line, sku, name, unit, vat_group, price, codes, plu)


def check_against_catalogue(session, rows: list[ProductRow]) -> list[BadRow]:
    """A barcode or PLU already belonging to another product is a bad row."""
    owner_by_code = dict(session.execute(select(Barcode.code, Product.sku).join(Product)).all())
    owner_by_plu = dict(session.execute(select(Product.plu, Product.sku).where(Product.plu.is_not(None))).all())
    bad = []
    for row in rows:
        for code in row.barcodes:
            owner = owner_by_code.get(code)
            if owner is not None and owner != row.sku:
                bad.append(BadRow(row.line, f"barcodes: {code} belongs to product {owner}"))
                break
        else:
            owner = owner_by_plu.get(row.plu) if row.plu is not None else None
            if owner is not None and owner != row.sku:
                bad.append(BadRow(row.line, f"plu: {row.plu} belongs to product {owner}"))
    return bad


def write_rows(session, rows: list[ProductRow], currency: str, progress=None) -> tuple[int, int]:
    """Insert new products, update existing ones (by SKU); returns (created, updated)."""
    existing = dict(session.execute(select(Product.sku, Product.id)).all())
    now = utcnow()
    created = updated = 0
    batch = 2000
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        new_products, new_codes, changed = [], [], []
        for row in chunk:
            values = {"sku": row.sku, "name": row.name, "search_name": search_key(row.name), "unit": row.unit,
                      "vat_group": row.vat_group, "price": row.price, "currency": currency, "plu": row.plu,
                      "active": True, "updated_at": now}
            product_id = existing.get(row.sku)
            if product_id is None:
                product_id = new_id()
                existing[row.sku] = product_id
                new_products.append({"id": product_id, **values})
                created += 1
            else:
                changed.append({"b_id": product_id, **values})
                updated += 1
            new_codes.extend({"code": c, "product_id": product_id, "kind": barcode_kind(c)} for c in row.barcodes)
        if new_products:
            session.execute(insert(Product), new_products)
        if changed:
            ids = [row["b_id"] for row in changed]
            session.execute(Barcode.__table__.delete().where(Barcode.product_id.in_(ids)))
            for values in changed:
                product_id = values.pop("b_id")
                session.execute(update(Product).where(Product.id == product_id).values(**values))
        if new_codes:
            session.execute(insert(Barcode), new_codes)
        for row in chunk:
            record_change(session, "product", existing[row.sku],
                          {"sku": row.sku, "name": row.name, "unit": row.unit, "vat_group": row.vat_group,
                           "price": row.price, "currency": currency, "plu": row.plu, "barcodes": row.barcodes},
                          op="upserted")
        if progress is not None:
            progress(len(chunk))
    return created, updated
