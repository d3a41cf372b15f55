import datetime as dt
import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Timestamp


class Customer(Base):
    """The customer profile a sale is recorded against (the central profile grows in the sync issue)."""

    __tablename__ = "customer"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True, nullable=True)  # normalised
    card: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
