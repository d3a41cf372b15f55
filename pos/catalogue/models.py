import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Money, Timestamp


class Product(Base):
    __tablename__ = "product"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # casefolded, diacritics removed: "Żółć" is found by "zolc"
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    unit: Mapped[str] = mapped_column(String(8), default="pcs")  # pcs | kg (quantities in grams)
    vat_group: Mapped[str] = mapped_column(String(1))
    # a product group ("dairy", "bakery"): what coupons' rules and loyalty multipliers name; "" = none
    product_group: Mapped[str] = mapped_column(String(64), default="", server_default="")
    price: Mapped[int] = mapped_column(Money)  # per piece, or per kg for weighed goods
    currency: Mapped[str] = mapped_column(Currency)
    plu: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    barcodes: Mapped[list["Barcode"]] = relationship(back_populates="product", cascade="all, delete-orphan")


class Barcode(Base):
    __tablename__ = "barcode"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # ean13 | ean8 | upca | plu | internal

    product: Mapped[Product] = relationship(back_populates="barcodes")
