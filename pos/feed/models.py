import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.types import Json, Sequence, Timestamp


class Change(Base):
    """The node's change feed: facts in commit order, read by sync with a cursor (seq)."""

    __tablename__ = "change"
    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))  # sale | return | stock_movement | customer | shift | day_report
    entity_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(16), default="created")
    payload: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
