import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Quantity, Timestamp


class StockMovement(Base):
    """Append-only: stock changes only by adding a row here (and the level with it)."""

    __tablename__ = "stock_movement"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Quantity)  # signed: − out, + in
    reason: Mapped[str] = mapped_column(String(16))  # sale | return | receipt | transfer_out | transfer_in | count | damage
    reference_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class StockLevel(Base):
    """On hand per location and product; always the sum of that pair's ledger rows."""

    __tablename__ = "stock_level"
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Quantity, default=0)
