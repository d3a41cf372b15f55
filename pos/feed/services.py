"""Record a fact in the change feed, in the caller's transaction (sync reads it later)."""
from sqlalchemy import text

from pos.db import fast_insert, utcnow
from pos.feed.models import Change
from pos.ids import new_id

# Readers follow the feed by seq.  On PostgreSQL a transaction that took a lower seq could commit after
# a higher one had been read, and a cursor would step over it for ever; holding this lock from the
# insert to the commit makes seq order the commit order.  (SQLite writers are serialised already.)
_FEED_LOCK = text("SELECT pg_advisory_xact_lock(7341001)")


def record_change(session, entity: str, entity_id, payload: dict, op: str = "created") -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_FEED_LOCK)
    fast_insert(connection, Change.__table__, [{"id": new_id(), "entity": entity, "entity_id": str(entity_id), "op": op,
                                                "payload": payload, "created_at": utcnow()}])
