import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Timestamp


class FiscalRecord(Base):
    """The fiscal queue and the driver's attempt journal for one sale.

    ``state`` is the driver's own checkpoint dict (hardware.fiscal.base): it must survive a
    crash between sending a receipt and hearing back, so the next attempt asks the device
    instead of printing a second receipt."""

    __tablename__ = "fiscal_record"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale.id"), unique=True)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|confirmed|failed|not_fiscal
    device_receipt_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error_code: Mapped[str] = mapped_column(String(64), default="")
    last_error_message: Mapped[str] = mapped_column(String(500), default="")
    last_error_action: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[dict] = mapped_column(Json, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class PrintJob(Base):
    """The exact bytes sent to a receipt printer, so the till can show the printout as a picture
    (drawn by the same ESC/POS renderer for real and virtual printers) and a copy can be proven."""

    __tablename__ = "print_job"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"), index=True)
    sale_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sale.id"), nullable=True, index=True)
    # receipt | receipt_copy | return | x_report | z_report | shift_open | shift_close | cash_in | cash_out
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64), default="")  # return / shift / report id
    data: Mapped[bytes] = mapped_column(LargeBinary)
    profile: Mapped[str] = mapped_column(String(64), default="")
    columns: Mapped[int] = mapped_column(Integer, default=42)
    printed: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class FiscalReturnRecord(Base):
    """A return (or void) on a fiscal device that records returns as receipts of their own (Ukraine's PRRO
    issues a RETURN receipt); ``state`` is the driver's attempt journal, as in FiscalRecord."""

    __tablename__ = "fiscal_return_record"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sale_return.id"), unique=True)
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|confirmed|failed
    device_receipt_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error_code: Mapped[str] = mapped_column(String(64), default="")
    last_error_message: Mapped[str] = mapped_column(String(500), default="")
    last_error_action: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[dict] = mapped_column(Json, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
