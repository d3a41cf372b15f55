from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from pos.dispatch.schemas import HomeDelivery
from pos.schemas import Approval, Strict, VatRow


class BasketPath(BaseModel):
    basket_id: uuid.UUID


class LinePath(BaseModel):
    basket_id: uuid.UUID
    line_id: uuid.UUID


class SalePath(BaseModel):
    sale_id: uuid.UUID


class NewBasket(Strict):
    customer_id: uuid.UUID | None = None


class AddLine(Strict):
    """Either a scanned code (any barcode, PLU or weighed code) or a SKU with a quantity."""

    code: str | None = Field(default=None, min_length=1, max_length=64)
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    quantity: int | None = Field(default=None, description="pieces, or grams for goods sold by weight")
    weigh: bool = Field(default=False, description="take the weight from the till's scale (goods sold by weight; "
                                                   "without it the scale is read when no weight is given)")
    tare_grams: int | None = Field(default=None, ge=1, le=99_999, description="a container's weight to take off")
    approval: Approval | None = Field(default=None, description="a manager's login and PIN: a weight typed by hand "
                                                                "at a till with a scale")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.code is None) == (self.sku is None):
            raise ValueError("give either code or sku")
        if self.weigh and self.quantity is not None:
            raise ValueError("give either weigh or quantity")
        return self


class ChangeQuantity(Strict):
    quantity: int = Field(description="pieces, or grams for goods sold by weight")
    approval: Approval | None = Field(default=None, description="a manager's login and PIN: a weight typed by hand "
                                                                "at a till with a scale")


class Discount(Strict):
    percent: float | None = Field(default=None, ge=0, le=100)
    amount: int | None = Field(default=None, ge=0, description="minor units")
    approval: Approval | None = None


class PaymentIn(Strict):
    method: Literal["cash", "card", "voucher", "transfer", "points", "gift_card"] = Field(
        description="points: loyalty points of the customer_id, spent online (needs Idempotency-Key); "
                    "gift_card: the card's code in reference")
    amount: int = Field(gt=0, le=10**11, description="minor units")
    reference: str | None = Field(default=None, max_length=100, description="gift_card: the card's code")


class CheckoutIn(Strict):
    payments: list[PaymentIn] = Field(min_length=1, max_length=20)
    customer_id: uuid.UUID | None = None
    home_delivery: HomeDelivery | None = Field(default=None, description="the shop's couriers bring the goods home")
    approval: Approval | None = Field(default=None, description="a manager's login and PIN: sell pieces that are "
                                                                "promised to online orders (409 stock-promised)")


class BasketLineOut(BaseModel):
    id: str
    position: int
    sku: str
    name: str
    unit: str
    quantity: int
    unit_price: int
    gross: int
    discount: int
    amount: int
    vat_group: str
    code: str
    coupon_discount: int = Field(0, description="of the line's discount, what the basket's coupon takes off")


class BasketCouponOut(BaseModel):
    """The coupon on the basket: what it takes off, or why it takes nothing (reason)."""

    code: str
    campaign: str
    applies: bool
    reason: str | None = None
    discount: int
    currency: str
    line_discounts: list[int]
    eligible_amount: int
    min_basket: int


class BasketOut(BaseModel):
    id: str
    status: str
    currency: str
    customer_id: str | None
    lines: list[BasketLineOut]
    subtotal: int
    discount_total: int
    total: int
    vat: list[VatRow]
    item_count: int
    coupon: BasketCouponOut | None = None


class BasketList(BaseModel):
    items: list[BasketOut]


class SaleLineOut(BaseModel):
    id: str
    position: int
    product_id: str
    sku: str
    name: str
    unit: str
    quantity: int
    unit_price: int
    gross: int
    discount: int
    amount: int
    vat_group: str
    vat_rate_bp: int | None
    returned_quantity: int


class PaymentOut(BaseModel):
    method: str
    amount: int
    reference: str
    refunded: int


class SaleOut(BaseModel):
    id: str
    store: str
    terminal: str
    receipt_number: int
    created_at: str
    cashier_id: str
    shift_id: str
    customer_id: str | None
    currency: str
    lines: list[SaleLineOut]
    vat: list[VatRow]
    payments: list[PaymentOut]
    subtotal: int
    discount_total: int
    total: int
    rounding: int
    to_pay: int
    change: int
    fiscal_status: str
    fiscal_number: str | None
    delivery_id: str | None = None
    gift_cards: list[dict] | None = Field(default=None, description="cards this sale sold: code, amount, expiry")
