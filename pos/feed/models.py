import datetime as dt
import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Sequence, Timestamp

# Entries written before changes had ids of their own get one derived from what both ends kept of them
# (the store's feed and HQ's applied_change), so an upgraded store's resent backlog still matches at HQ.
LEGACY_NAMESPACE = uuid.UUID("5b0c7e2e-4f7e-4d35-9a53-0e3f2a9d6c11")


def legacy_change_id(seq: int, entity: str, entity_id: str) -> uuid.UUID:
    return uuid.uuid5(LEGACY_NAMESPACE, f"{int(seq)}:{entity}:{entity_id}")


class Change(Base):
    """The node's change feed: facts in commit order, read by sync with a cursor (seq)."""

    __tablename__ = "change"
    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    # The change's own identity: HQ knows a change by it, never by seq (a restored database reuses seqs).
    id: Mapped[uuid.UUID] = mapped_column(Id, default=new_id)
    entity: Mapped[str] = mapped_column(String(32))  # sale | return | stock_movement | customer | shift | day_report
    entity_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(16), default="created")
    payload: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
