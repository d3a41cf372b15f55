"""Store side: read HQ's feed after our cursor and apply it; the cursor moves in the same transaction.

Applying is an upsert per row, so a page applied twice (cursor lost with a restore) changes nothing twice.
Nothing applied here goes into the store's own feed: HQ's data is not sent back."""
from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select, update

from pos.catalogue.importer import barcode_kind
from pos.catalogue.models import Barcode, Product
from pos.coupons import services as coupons
from pos.customers.services import apply_profile
from pos.db import utcnow
from pos.staff.models import Cashier
from pos.stock.models import StockLevel
from pos.stores.models import Location
from pos.text import search_key
from sync.replication import state
from sync.replication.client import HqClient, HqRefused, HqUnreachable
from sync.replication.handshake import greet
from sync.stock.holds import HOLD

CURSOR = "pull"


def apply_product(session, entity_id: str, p: dict) -> None:
    product = session.get(Product, uuid.UUID(entity_id)) or session.scalars(
        select(Product).where(Product.sku == p["sku"])).one_or_none()
    if p.get("plu") is not None:  # a PLU moved to another product at HQ: free it here first
        keep = product.id if product is not None else uuid.UUID(entity_id)
        session.execute(update(Product).where(Product.plu == p["plu"], Product.id != keep).values(plu=None))
    if product is None:
        product = Product(id=uuid.UUID(entity_id))
        session.add(product)
    product.sku, product.name, product.search_name = p["sku"], p["name"], search_key(p["name"])
    product.unit, product.vat_group, product.price = p["unit"], p["vat_group"], p["price"]
    product.currency, product.plu, product.active = p["currency"], p.get("plu"), p.get("active", True)
    product.product_group = p.get("product_group") or ""  # what coupons' rules name
    product.updated_at = utcnow()
    session.flush()
    codes = list(dict.fromkeys(p.get("barcodes") or []))
    session.execute(delete(Barcode).where((Barcode.product_id == product.id) | Barcode.code.in_(codes)))
    if codes:
        session.execute(insert(Barcode), [{"code": c, "product_id": product.id, "kind": barcode_kind(c)}
                                          for c in codes])


def apply_cashier(session, entity_id: str, p: dict) -> None:
    cashier = session.get(Cashier, uuid.UUID(entity_id)) or session.scalars(
        select(Cashier).where(Cashier.login == p["login"])).one_or_none()
    if cashier is None:
        cashier = Cashier(id=uuid.UUID(entity_id), failed_pins=0)
        session.add(cashier)
    cashier.login, cashier.name, cashier.role = p["login"], p["name"], p["role"]
    cashier.pin_hash, cashier.active = p["pin_hash"], p.get("active", True)
    session.flush()


def apply_change(session, change: dict, store_code: str | None = None) -> None:
    entity, payload = change["entity"], change["payload"]
    if entity == "product":
        apply_product(session, change["entity_id"], payload)
    elif entity == "cashier":
        apply_cashier(session, change["entity_id"], payload)
    elif entity == "customer":
        apply_profile(session, payload)
    elif entity == HOLD and store_code:
        apply_hold(session, payload, store_code)
    elif entity == "coupon_campaign":
        coupons.apply_campaign(session, payload)
    elif entity == "coupon_batch":
        coupons.apply_batch(session, payload, store_code)


def apply_hold(session, p: dict, store_code: str) -> None:
    """HQ's figure of what it holds of our units: kept beside on hand, never in the ledger (nothing moved).

    HQ sends only our own location's figures; it knows that location under its own id, we under ours."""
    product_id = uuid.UUID(p["product_id"])
    location_id = session.scalar(select(Location.id).where(Location.code == store_code))
    if location_id is None or session.get(Product, product_id) is None:
        return  # no till set up yet, or a product HQ has not sent: its catalogue entry comes first
    level = session.get(StockLevel, (location_id, product_id))
    if level is None:
        session.add(StockLevel(location_id=location_id, product_id=product_id, on_hand=0, hq_held=p["held"]))
    else:
        level.hq_held = p["held"]
    session.flush()


def pull(app, client: HqClient | None = None) -> str:
    config = app.config
    if not config["POS_HQ_URL"] or not config["POS_STORE_TOKEN"]:
        return "HQ not configured (POS_HQ_URL, POS_STORE_TOKEN); nothing pulled"
    db = app.extensions["pos.db"]
    backoff = state.backoff_for(app)
    if not backoff.due(CURSOR):
        return f"HQ unreachable; next try after {backoff.not_before[CURSOR].isoformat()}"
    client = client or HqClient(config["POS_HQ_URL"], config["POS_STORE_TOKEN"], config["POS_SYNC_TIMEOUT_SECONDS"])
    applied = 0
    try:
        greet(db, client)  # a new or restored database learns HQ's marks before anything else
        while True:
            after = state.position(db, CURSOR)
            page = client.changes(after, config["POS_SYNC_BATCH"])
            with db.unit_of_work() as uow:
                row = state.cursor(uow.session, CURSOR)
                if row.position != after:
                    return f"{applied} change(s) applied; another puller moved the cursor"
                for change in page["changes"]:
                    apply_change(uow.session, change, config["POS_STORE_CODE"])
                row.position = max(row.position, page["next"])
                row.last_success_at = row.last_attempt_at = utcnow()
                row.failures, row.next_attempt_at = 0, None
                uow.commit()
            applied += len(page["changes"])
            if not page["more"]:
                backoff.succeeded(CURSOR)
                return f"{applied} change(s) from HQ applied"
    except (HqUnreachable, HqRefused) as exc:
        next_try = backoff.failed(CURSOR)
        state.record_failure(db, CURSOR, str(exc), next_try)
        return f"pull failed after {applied} change(s): {exc}"
