import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Money, Quantity, Timestamp


class Basket(Base):
    """What the cashier is ringing up; becomes a Sale at checkout."""

    __tablename__ = "basket"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"), index=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | parked | checked_out | cancelled
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"), nullable=True)
    currency: Mapped[str] = mapped_column(Currency)
    discount_percent_bp: Mapped[int] = mapped_column(Integer, default=0)  # basket discount, basis points
    discount_amount: Mapped[int] = mapped_column(Money, default=0)  # or a fixed basket discount
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    lines: Mapped[list["BasketLine"]] = relationship(
        back_populates="basket", order_by="BasketLine.position", cascade="all, delete-orphan")


class BasketLine(Base):
    __tablename__ = "basket_line"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    basket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("basket.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Quantity)
    # price at scan time: a price change mid-basket does not change what the customer was shown
    unit_price: Mapped[int] = mapped_column(Money)
    # a price-embedded code fixes the line amount itself
    fixed_amount: Mapped[int | None] = mapped_column(Money, nullable=True)
    discount: Mapped[int] = mapped_column(Money, default=0)
    code: Mapped[str] = mapped_column(String(32), default="")

    basket: Mapped[Basket] = relationship(back_populates="lines")
    product = relationship("Product")


class Sale(Base):
    __tablename__ = "sale"
    __table_args__ = (UniqueConstraint("terminal_id", "receipt_number"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift.id"), index=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    basket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("basket.id"), unique=True)
    receipt_number: Mapped[int] = mapped_column(Quantity)
    currency: Mapped[str] = mapped_column(Currency)
    subtotal: Mapped[int] = mapped_column(Money)  # before discounts
    discount_total: Mapped[int] = mapped_column(Money)
    total: Mapped[int] = mapped_column(Money)  # what the fiscal printer totals
    rounding: Mapped[int] = mapped_column(Money, default=0)  # cash rounding (CZ, UA), outside VAT
    change: Mapped[int] = mapped_column(Money, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    fiscal_status: Mapped[str] = mapped_column(String(16), default="pending")
    fiscal_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)

    lines: Mapped[list["SaleLine"]] = relationship(order_by="SaleLine.position", cascade="all, delete-orphan")
    vat: Mapped[list["SaleVat"]] = relationship(order_by="SaleVat.vat_group", cascade="all, delete-orphan")
    payments: Mapped[list["Payment"]] = relationship(order_by="Payment.position", cascade="all, delete-orphan")


class SaleLine(Base):
    __tablename__ = "sale_line"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Quantity)
    unit_price: Mapped[int] = mapped_column(Money)
    gross: Mapped[int] = mapped_column(Money)  # before discounts
    discount: Mapped[int] = mapped_column(Money)  # line discount + its share of the basket discount
    coupon_discount: Mapped[int] = mapped_column(Money, default=0, server_default="0")  # of which a coupon's
    amount: Mapped[int] = mapped_column(Money)  # gross - discount
    vat_group: Mapped[str] = mapped_column(String(1))
    vat_rate_bp: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: exempt
    returned_quantity: Mapped[int] = mapped_column(Quantity, default=0)
    returned_amount: Mapped[int] = mapped_column(Money, default=0)


class SaleVat(Base):
    __tablename__ = "sale_vat"
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale.id"), primary_key=True)
    vat_group: Mapped[str] = mapped_column(String(1), primary_key=True)
    vat_rate_bp: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gross: Mapped[int] = mapped_column(Money)
    vat: Mapped[int] = mapped_column(Money)


class Payment(Base):
    """A tender.  Cash records what was handed over; change is on the sale."""

    __tablename__ = "payment"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))  # cash | card | voucher | transfer
    amount: Mapped[int] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(100), default="")
    refunded: Mapped[int] = mapped_column(Money, default=0)
