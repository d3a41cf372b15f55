import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Money, Quantity, Timestamp


class Return(Base):
    __tablename__ = "sale_return"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale.id"), index=True)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift.id"), index=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    approved_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    currency: Mapped[str] = mapped_column(Currency)
    total: Mapped[int] = mapped_column(Money)
    rounding: Mapped[int] = mapped_column(Money, default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)

    lines: Mapped[list["ReturnLine"]] = relationship(cascade="all, delete-orphan")
    refunds: Mapped[list["Refund"]] = relationship(cascade="all, delete-orphan")


class ReturnLine(Base):
    __tablename__ = "return_line"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale_return.id"), index=True)
    sale_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale_line.id"))
    quantity: Mapped[int] = mapped_column(Quantity)
    amount: Mapped[int] = mapped_column(Money)


class Refund(Base):
    """Money back, to the tender the customer paid with."""

    __tablename__ = "refund"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale_return.id"), index=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment.id"))
    position: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Money)
