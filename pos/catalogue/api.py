from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.catalogue import services
from pos.http import BEARER, run
from pos.schemas import Money

api = APIBlueprint("catalogue", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="catalogue")],
                   abp_security=BEARER)


class ProductOut(BaseModel):
    id: str
    sku: str
    name: str
    unit: str = Field(description="pcs, or kg (quantities in grams)")
    vat_group: str
    vat_rate_bp: int | None
    price: Money
    plu: int | None
    barcodes: list[str]


class ProductList(BaseModel):
    items: list[ProductOut]


class SearchQuery(BaseModel):
    q: str = Field(default="", max_length=100)
    limit: int = Field(default=20, ge=1, le=200)


class LookupQuery(BaseModel):
    code: str = Field(min_length=1, max_length=64)


class LookupOut(BaseModel):
    product: ProductOut
    kind: str = Field(description="ean13 | ean8 | upca | plu | weight | price")
    quantity: int | None = Field(description="grams from a weight-embedded code")
    amount: int | None = Field(description="price from a price-embedded code")


@api.get("/products", responses={200: ProductList})
def search_products(query: SearchQuery):
    """Search by name (diacritics optional), SKU or barcode."""
    return run(lambda s, till: {"items": [services.product_json(p, till.vat_rates)
                                          for p in services.search(s, query.q, query.limit)]}, read_only=True)


@api.get("/products/lookup", responses={200: LookupOut})
def lookup_product(query: LookupQuery):
    """Any barcode, PLU, or in-store code with an embedded weight or price."""
    def work(session, till):
        found = services.resolve_code(session, query.code, till.settings.embedded_layouts)
        return {"product": services.product_json(found.product, till.vat_rates), "kind": found.scanned.kind,
                "quantity": found.quantity, "amount": found.fixed_amount}
    return run(work, read_only=True)
