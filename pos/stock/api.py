"""Stock documents and levels for staff, at HQ and at stores (bearer token of a logged-in till)."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from pos.http import BEARER, run
from pos.schemas import IdempotencyHeader
from pos.stock import documents, services
from pos.stock.problem_docs import problem_responses
from pos.stock.schemas import StockCountIn, StockDamageIn, StockDocumentOut, StockLevelList, StockLevelsQuery, GoodsReceiptIn, SafetyStockIn, StockTransferIn

api = APIBlueprint("stock", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="stock")], abp_security=BEARER,
                   abp_responses=problem_responses(400, 401, 409, 422))


def _post(kind, location, lines, header, *, to_location=None, reference="", note=""):
    def work(session, till):
        source = location or till.location.code
        document, created = documents.post_document(
            session, kind, source, lines, to_location_code=to_location, reference=reference, note=note,
            entered_by=till.cashier.id, idempotency_key=header.idempotency_key)
        destination = None
        if document.to_location_id is not None:
            destination = to_location
        return documents.document_json(document, source, destination), 201 if created else 200
    return run(work)


@api.post("/stock/receipts", responses={201: StockDocumentOut, 200: StockDocumentOut})
def receive_goods(body: GoodsReceiptIn, header: IdempotencyHeader):
    """Goods received from a supplier: on hand goes up at the location."""
    return _post("receipt", body.location, [l.model_dump() for l in body.lines], header, reference=body.reference,
                 note=body.note)


@api.post("/stock/transfers", responses={201: StockDocumentOut, 200: StockDocumentOut})
def transfer(body: StockTransferIn, header: IdempotencyHeader):
    """Move stock between locations (booked out and in at once); reserved or committed stock stays."""
    return _post("transfer", body.from_location, [l.model_dump() for l in body.lines], header,
                 to_location=body.to_location, reference=body.reference, note=body.note)


@api.post("/stock/counts", responses={201: StockDocumentOut, 200: StockDocumentOut})
def count(body: StockCountIn, header: IdempotencyHeader):
    """A stock count: each counted SKU is adjusted to what is on the shelf."""
    return _post("count", body.location, [l.model_dump() for l in body.lines], header, note=body.note)


@api.post("/stock/damages", responses={201: StockDocumentOut, 200: StockDocumentOut})
def write_off(body: StockDamageIn, header: IdempotencyHeader):
    """Damaged or spoiled goods written off."""
    return _post("damage", body.location, [l.model_dump() for l in body.lines], header, reference=body.reference,
                 note=body.note)


@api.get("/stock/levels", responses={200: StockLevelList})
def stock_levels(query: StockLevelsQuery):
    def work(session, till):
        location_id = None
        if query.location:
            location_id = documents.location_by_code(session, query.location, "location").id
        return {"items": services.levels_json(session, location_id, query.sku)}
    return run(work, read_only=True)


@api.put("/stock/safety", responses={200: StockLevelList})
def safety_stock(body: SafetyStockIn):
    """Safety stock per product and location: kept back from every online channel."""
    def work(session, till):
        location = documents.location_by_code(session, body.location, "location")
        product = documents.products_by_sku(session, [body.sku], "sku")[body.sku]
        services.set_safety_stock(session, location.id, product.id, body.quantity)
        session.flush()
        return {"items": services.levels_json(session, location.id, [body.sku])}
    return run(work)
