"""Deferring a job in the transaction of the change that causes it.

``defer(session, task, key)`` runs ``pos_defer_job`` (Alembic revision e61b7a2c9f30) on the session's own
connection: the job commits with the change or goes with its rollback.  Jobs are keyed: one running per key
(Procrastinate's lock), and a queued job of the task and key that has not started is shared (one queued per
key, but for two transactions queueing it at the very same moment) and held until this transaction commits,
so it runs only after it can see the change.  On SQLite (stores, standalone) there is no engine: nothing is deferred and
the in-process scheduler's rounds find the work."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text

DEFER = text("SELECT pos_defer_job(:task, :key, CAST(:args AS jsonb), :at, :lock)")


def engine_here(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def defer(session, task: str, key: str | None = None, args: dict | None = None, at: dt.datetime | None = None,
          lock: str | None = None) -> int | None:
    """The job's id (a shared one when the key was already queued), or None where there is no engine."""
    if not engine_here(session):
        return None
    return session.scalar(DEFER, {"task": task, "key": key or task, "args": json.dumps(args or {}), "at": at,
                                  "lock": lock})
