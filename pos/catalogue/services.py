"""Finding products: search, and what a scanned code resolves to."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from pos.catalogue.barcodes import BarcodeError, ScannedCode, classify
from pos.catalogue.models import Barcode, Product
from pos.problems import ApiProblem
from pos.text import search_key


@dataclass
class Resolved:
    product: Product
    scanned: ScannedCode
    quantity: int | None = None  # grams from a weight-embedded code
    fixed_amount: int | None = None  # price from a price-embedded code


# Built once: a scan runs one of them, and building a statement costs more than running it.
_BY_PLU = select(Product).where(Product.plu == bindparam("plu"), Product.active)
_BY_CODE = select(Product).join(Barcode).where(Barcode.code == bindparam("code"), Product.active).limit(1)
_BY_UPCA = (select(Product).join(Barcode).where(Barcode.code.in_([bindparam("code"), bindparam("ean")]),
                                                Product.active).limit(1))
_BY_SKU = select(Product).where(Product.sku == bindparam("sku"), Product.active)


def resolve_code(session, code: str, layouts, field: str = "code") -> Resolved:
    try:
        scanned = classify(code, layouts)
    except BarcodeError as exc:
        raise ApiProblem(422, "invalid-barcode", f"{field}: {exc}", field=field, code=code) from None
    if scanned.plu is not None:
        product = session.scalars(_BY_PLU, {"plu": scanned.plu}).one_or_none()
    elif scanned.kind == "upca":  # a UPC-A may be stored as the EAN-13 it also is
        product = session.scalars(_BY_UPCA, {"code": scanned.code, "ean": "0" + scanned.code}).first()
    else:
        product = session.scalars(_BY_CODE, {"code": scanned.code}).first()
    if product is None:
        raise ApiProblem(404, "unknown-code", f"{field}: no product has the code {code}", field=field, code=code)
    if scanned.kind == "weight":
        if product.unit != "kg":
            raise ApiProblem(422, "not-weighed", f"{field}: {product.name} is not sold by weight", field=field)
        if scanned.grams <= 0:
            raise ApiProblem(422, "invalid-barcode", f"{field}: the embedded weight is zero", field=field)
        return Resolved(product, scanned, quantity=scanned.grams)
    if scanned.kind == "price":
        return Resolved(product, scanned, quantity=1 if product.unit == "pcs" else None, fixed_amount=scanned.price)
    return Resolved(product, scanned)


def search(session, query: str, limit: int) -> list[Product]:
    statement = select(Product).options(selectinload(Product.barcodes)).where(Product.active)
    query = query.strip()
    if query:
        key = f"%{search_key(query)}%"
        exact = select(Barcode.product_id).where(Barcode.code == query).scalar_subquery()
        statement = statement.where(or_(Product.search_name.like(key), Product.sku == query, Product.id.in_(exact)))
    return list(session.scalars(statement.order_by(Product.name).limit(limit)))


def product_by_sku(session, sku: str, field: str = "sku") -> Product:
    product = session.scalars(_BY_SKU, {"sku": sku}).one_or_none()
    if product is None:
        raise ApiProblem(404, "unknown-sku", f"{field}: no product has the SKU {sku}", field=field)
    return product


def product_json(product: Product, vat_rates: dict) -> dict:
    return {
        "id": str(product.id), "sku": product.sku, "name": product.name, "unit": product.unit,
        "vat_group": product.vat_group, "vat_rate_bp": vat_rates.get(product.vat_group),
        "price": {"amount": product.price, "currency": product.currency},
        "plu": product.plu, "barcodes": [b.code for b in product.barcodes],
    }
