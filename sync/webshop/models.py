import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Timestamp


class ApiClient(Base):
    """A web shop, marketplace connector or survey tool calling the sync API with its own key."""

    __tablename__ = "api_client"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the key; the key is shown once
    key_prefix: Mapped[str] = mapped_column(String(16))  # lets people tell keys apart in logs
    scopes: Mapped[list] = mapped_column(Json)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class IdempotentRequest(Base):
    """A POST already answered: the same key replays the answer, a different body under it is refused."""

    __tablename__ = "idempotent_request"
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
