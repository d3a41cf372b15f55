import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Sequence, Timestamp


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscription"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list] = mapped_column(Json)
    secret: Mapped[str] = mapped_column(String(100))  # HMAC key: must be readable to sign
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class WebhookDelivery(Base):
    """One event for one subscription, kept with every attempt's outcome (pending → delivered | failed)."""

    __tablename__ = "webhook_delivery"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscription.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class FeedCursor(Base):
    """How far a reader of the change feed has got (seq of the last change handled)."""

    __tablename__ = "feed_cursor"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Sequence, default=0)
