"""Record a fact in the change feed, in the caller's transaction (sync reads it later)."""
from sqlalchemy import insert

from pos.db import utcnow
from pos.feed.models import Change

_INSERT_CHANGE = insert(Change.__table__)


def record_change(session, entity: str, entity_id, payload: dict, op: str = "created") -> None:
    session.connection().execute(_INSERT_CHANGE, [{"entity": entity, "entity_id": str(entity_id), "op": op,
                                                   "payload": payload, "created_at": utcnow()}])
