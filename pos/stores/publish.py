"""HQ → store: what HQ's change feed carries for the stores, and the snapshot that seeds it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pos.catalogue.models import Product
from pos.feed.services import record_change
from pos.staff.models import Cashier

# What a store may read from HQ's feed.  Sales, returns and the like stay at HQ.
STORE_VISIBLE = ("product", "cashier", "customer", "coupon_campaign", "coupon_batch")


def product_payload(product: Product) -> dict:
    return {"id": str(product.id), "sku": product.sku, "name": product.name, "unit": product.unit,
            "vat_group": product.vat_group, "price": product.price, "currency": product.currency,
            "plu": product.plu, "active": product.active, "barcodes": [b.code for b in product.barcodes],
            "product_group": product.product_group or ""}


def cashier_payload(cashier: Cashier) -> dict:
    # The PIN hash travels so a store can log cashiers in while HQ is unreachable.
    return {"id": str(cashier.id), "login": cashier.login, "name": cashier.name, "role": cashier.role,
            "pin_hash": cashier.pin_hash, "active": cashier.active}


def publish_snapshot(session) -> tuple[int, int]:
    """Put the whole catalogue and every cashier in the feed once: a new store catches up from it, and
    rows written without a feed entry (seeding, manual SQL) reach the stores."""
    products = list(session.scalars(select(Product).options(selectinload(Product.barcodes))))
    for product in products:
        record_change(session, "product", product.id, product_payload(product), op="upserted")
    cashiers = list(session.scalars(select(Cashier)))
    for cashier in cashiers:
        record_change(session, "cashier", cashier.id, cashier_payload(cashier), op="upserted")
    return len(products), len(cashiers)


def publish_cashier(session, cashier: Cashier) -> None:
    record_change(session, "cashier", cashier.id, cashier_payload(cashier), op="upserted")
