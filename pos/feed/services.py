"""Record a fact in the change feed, in the caller's transaction (sync reads it later)."""
from sqlalchemy import insert, text

from pos.db import utcnow
from pos.feed.models import Change

_INSERT_CHANGE = insert(Change.__table__)
# Readers follow the feed by seq.  On PostgreSQL a transaction that took a lower seq could commit after
# a higher one had been read, and a cursor would step over it for ever; holding this lock from the
# insert to the commit makes seq order the commit order.  (SQLite writers are serialised already.)
_FEED_LOCK = text("SELECT pg_advisory_xact_lock(7341001)")


def record_change(session, entity: str, entity_id, payload: dict, op: str = "created") -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_FEED_LOCK)
    connection.execute(_INSERT_CHANGE, [{"entity": entity, "entity_id": str(entity_id), "op": op,
                                         "payload": payload, "created_at": utcnow()}])
