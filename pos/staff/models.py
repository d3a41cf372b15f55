import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Timestamp


class Cashier(Base):
    __tablename__ = "cashier"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="cashier")  # cashier | manager
    pin_hash: Mapped[str] = mapped_column(String(200))
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuthToken(Base):
    """A bearer token for one cashier on one terminal; only its SHA-256 is kept."""

    __tablename__ = "auth_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashier.id"))
    terminal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terminal.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Who approved what, when: every manager-only action."""

    __tablename__ = "audit_entry"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    action: Mapped[str] = mapped_column(String(64))
    manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cashier.id"), nullable=True)
    cashier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cashier.id"), nullable=True)
    terminal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("terminal.id"), nullable=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(Json, default=dict)
