"""Goods receipts, transfers, stock counts and damage write-offs: each a document whose lines move the ledger."""
from __future__ import annotations

from sqlalchemy import select

from pos.catalogue.models import Product
from pos.feed.services import record_change
from pos.problems import ApiProblem
from pos.sales.services import request_fingerprint
from pos.stock.models import StockDocument
from pos.stock.services import lock_levels, record_movements
from pos.stores.models import Location

KINDS = ("receipt", "transfer", "count", "damage")


def location_by_code(session, code: str, field: str) -> Location:
    location = session.scalars(select(Location).where(Location.code == code)).one_or_none()
    if location is None:
        raise ApiProblem(422, "unknown-location", f"{field}: no location {code!r}", field=field)
    return location


def products_by_sku(session, skus: list[str], field: str = "lines") -> dict:
    found = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(set(skus))))}
    for index, sku in enumerate(skus):
        if sku not in found:
            raise ApiProblem(422, "unknown-sku", f"{field}[{index}].sku: no product {sku!r}",
                             field=f"{field}[{index}].sku")
    return found


def _check_lines(lines: list[dict], amount_field: str, allow_zero: bool) -> None:
    if not lines:
        raise ApiProblem(422, "invalid-field", "lines: give at least one line", field="lines")
    seen = set()
    for index, line in enumerate(lines):
        if line["sku"] in seen:
            raise ApiProblem(422, "duplicate-line", f"lines[{index}].sku: listed twice", field=f"lines[{index}].sku")
        seen.add(line["sku"])
        value = line[amount_field]
        if value < 0 or (value == 0 and not allow_zero):
            raise ApiProblem(422, "invalid-field", f"lines[{index}].{amount_field}: must be above zero",
                             field=f"lines[{index}].{amount_field}")


def post_document(session, kind: str, location_code: str, lines: list[dict], *, to_location_code: str | None = None,
                  reference: str = "", note: str = "", entered_by=None,
                  idempotency_key: str | None = None) -> tuple[StockDocument, bool]:
    """Book one document.  lines: [{sku, quantity}] or, for a count, [{sku, counted}].

    Returns (document, created); an Idempotency-Key replays the first booking."""
    if kind not in KINDS:
        raise ValueError(kind)
    fingerprint = request_fingerprint({"kind": kind, "location": location_code, "to": to_location_code or "",
                                       "reference": reference, "note": note, "lines": lines})
    if idempotency_key:
        earlier = session.scalars(select(StockDocument).where(
            StockDocument.idempotency_key == idempotency_key)).one_or_none()
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise ApiProblem(422, "idempotency-key-reused",
                                 "Idempotency-Key: this key was used for a different stock document",
                                 field="Idempotency-Key")
            return earlier, False
    amount_field = "counted" if kind == "count" else "quantity"
    _check_lines(lines, amount_field, allow_zero=kind == "count")
    location = location_by_code(session, location_code, "location")
    destination = None
    if kind == "transfer":
        if not to_location_code:
            raise ApiProblem(422, "invalid-field", "to_location: a transfer needs a destination", field="to_location")
        destination = location_by_code(session, to_location_code, "to_location")
        if destination.id == location.id:
            raise ApiProblem(422, "invalid-field", "to_location: the same as the source", field="to_location")
    products = products_by_sku(session, [line["sku"] for line in lines])
    levels = lock_levels(session, [(location.id, products[line["sku"]].id) for line in lines])
    document = StockDocument(kind=kind, location_id=location.id, to_location_id=destination and destination.id,
                             reference=reference, note=note, entered_by=entered_by, idempotency_key=idempotency_key,
                             request_hash=fingerprint, lines=[])
    session.add(document)
    session.flush()
    booked, movements = [], []
    for index, line in enumerate(lines):
        product = products[line["sku"]]
        current = levels[(location.id, product.id)]
        if kind == "count":
            delta = line["counted"] - current.on_hand
            booked.append({"sku": product.sku, "counted": line["counted"], "was": current.on_hand, "delta": delta})
        else:
            delta = line["quantity"] if kind == "receipt" else -line["quantity"]
            booked.append({"sku": product.sku, "quantity": line["quantity"]})
        if kind == "transfer":
            # Stock promised to a web order or held for a checkout must not leave the building.
            spare = current.on_hand - current.reserved - current.committed
            if line["quantity"] > spare:
                raise ApiProblem(409, "not-enough-stock",
                                 f"lines[{index}].quantity: {line['quantity']} asked, {max(spare, 0)} free to move",
                                 field=f"lines[{index}].quantity", available=max(spare, 0))
        movements.append((product.id, delta))
    reason = {"receipt": "receipt", "transfer": "transfer_out", "count": "count", "damage": "damage"}[kind]
    record_movements(session, location.id, movements, reason, document.id)
    if destination is not None:
        record_movements(session, destination.id, [(pid, -delta) for pid, delta in movements], "transfer_in",
                         document.id)
    document.lines = booked
    # The change carries the movements themselves, so HQ books exactly what this node booked
    # (a count's delta, not the count: HQ's copy of this location follows the same ledger).
    skus = {product.id: product.sku for product in products.values()}
    record_change(session, "stock_document", document.id, {
        **document_json(document, location.code, destination.code if destination else None),
        "reason": reason,
        "movements": [{"product_id": str(pid), "sku": skus[pid], "quantity": delta, "reason": reason}
                      for pid, delta in movements if delta],
        "arrivals": [{"product_id": str(pid), "sku": skus[pid], "quantity": -delta, "reason": "transfer_in"}
                     for pid, delta in movements if delta and destination is not None]})
    return document, True


def document_json(document: StockDocument, location_code: str, to_location_code: str | None) -> dict:
    return {"id": str(document.id), "kind": document.kind, "location": location_code,
            "to_location": to_location_code, "reference": document.reference, "note": document.note,
            "lines": document.lines, "created_at": document.created_at.isoformat() if document.created_at else None}
