from __future__ import annotations

from pydantic import BaseModel, Field

from pos.schemas import Strict

SKU = Field(min_length=1, max_length=64)
CODE = Field(min_length=1, max_length=32)


class StockQuantityLine(Strict):
    sku: str = SKU
    quantity: int = Field(gt=0, le=10**9, description="pieces, or grams for weighed goods")


class StockCountLine(Strict):
    sku: str = SKU
    counted: int = Field(ge=0, le=10**9, description="what is on the shelf now")


class GoodsReceiptIn(Strict):
    location: str | None = Field(default=None, max_length=32, description="location code; default: this till's")
    reference: str = Field(default="", max_length=100, description="the supplier's delivery note number")
    note: str = Field(default="", max_length=500)
    lines: list[StockQuantityLine] = Field(min_length=1, max_length=1000)


class StockDamageIn(GoodsReceiptIn):
    pass


class StockTransferIn(Strict):
    from_location: str | None = Field(default=None, max_length=32, description="default: this till's location")
    to_location: str = CODE
    reference: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=500)
    lines: list[StockQuantityLine] = Field(min_length=1, max_length=1000)


class StockCountIn(Strict):
    location: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=500)
    lines: list[StockCountLine] = Field(min_length=1, max_length=5000)


class SafetyStockIn(Strict):
    location: str = CODE
    sku: str = SKU
    quantity: int = Field(ge=0, le=10**9)


class StockLevelsQuery(Strict):
    location: str | None = Field(default=None, max_length=32)
    sku: list[str] = Field(default_factory=list, max_length=500)


class StockDocumentOut(BaseModel):
    id: str
    kind: str
    location: str
    to_location: str | None
    reference: str
    note: str
    lines: list[dict]
    created_at: str | None


class StockLevelOut(BaseModel):
    location: str
    sku: str
    on_hand: int
    reserved: int
    committed: int
    safety_stock: int
    held_by_hq: int = Field(description="at a store: units HQ holds here for web and marketplace orders")
    free_at_till: int = Field(description="what the till may sell without a manager: on hand less every hold")
    spare: int


class StockLevelList(BaseModel):
    items: list[StockLevelOut]
