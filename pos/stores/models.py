import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base
from pos.ids import new_id
from pos.types import Currency, Id, Quantity


class Location(Base):
    """A store or a warehouse: where stock is and where sales happen."""

    __tablename__ = "location"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="store")
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(Currency)
    address: Mapped[str] = mapped_column(String(300), default="")
    tax_id: Mapped[str] = mapped_column(String(32), default="")


class Terminal(Base):
    """A till.  Its receipt counter lives here so numbering is gapless per terminal."""

    __tablename__ = "terminal"
    __table_args__ = (UniqueConstraint("location_id", "code"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("location.id"))
    code: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5), default="pl")
    last_receipt_number: Mapped[int] = mapped_column(Quantity, default=0)
    last_day_report_number: Mapped[int] = mapped_column(Quantity, default=0)
    printer_url: Mapped[str] = mapped_column(String(300), default="")
    fiscal_url: Mapped[str] = mapped_column(String(300), default="")
    display_url: Mapped[str] = mapped_column(String(300), default="")
    scanner_url: Mapped[str] = mapped_column(String(300), default="")
