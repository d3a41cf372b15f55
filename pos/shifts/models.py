import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Currency, Id, Json, Money, Quantity, Timestamp


class Shift(Base):
    """A cashier's drawer from the opening float to the count at close."""

    __tablename__ = "shift"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"), index=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    currency: Mapped[str] = mapped_column(Currency)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    opening_float: Mapped[int] = mapped_column(Money)
    opened_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    counted_cash: Mapped[int | None] = mapped_column(Money, nullable=True)
    expected_cash: Mapped[int | None] = mapped_column(Money, nullable=True)
    over_short: Mapped[int | None] = mapped_column(Money, nullable=True)
    day_report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("day_report.id"), nullable=True)


class CashMovement(Base):
    """Every change to what should be in the drawer, signed (+ in, − out)."""

    __tablename__ = "cash_movement"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shift.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # float | cash_in | cash_out | sale | refund
    amount: Mapped[int] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(300), default="")
    reference_id: Mapped[uuid.UUID | None] = mapped_column(Id, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class DayReport(Base):
    """The Z report: closes the terminal's day; numbered per terminal."""

    __tablename__ = "day_report"
    __table_args__ = (UniqueConstraint("terminal_id", "number"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"))
    number: Mapped[int] = mapped_column(Quantity)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    totals: Mapped[dict] = mapped_column(Json)
