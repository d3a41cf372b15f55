"""HQ side: how fresh a store is counts only what arrived from it.

``location.last_heard_at`` is the time up to which HQ holds everything the store did: the moment of a
push that left nothing waiting (an empty push says so too), or, while a backlog is still coming, the
time the oldest change still waiting at the store was made.  A pull never moves it: a store whose pushes
fail but whose pulls succeed is going stale, and online channels must stop counting its stock."""
from __future__ import annotations

import datetime as dt

from pos.db import utcnow


def stamp_arrival(location, waiting_since: dt.datetime | None) -> dt.datetime:
    now = utcnow()
    # A store's clock may run ahead; what arrived can never be newer than now.
    arrived = now if waiting_since is None else min(now, waiting_since)
    known = location.last_heard_at
    if known is not None and known.tzinfo is None:
        known = known.replace(tzinfo=dt.timezone.utc)
    if known is None or arrived > known:
        location.last_heard_at = arrived
    return location.last_heard_at
