"""The store's cursors and backoff.

The cursor and the error bookkeeping live in ``sync_cursor`` (so the status page and a restarted worker see
them); the decision to wait lives in the worker process: a long-running worker backs off exponentially while
HQ is unreachable, and an operator's ``flask sync once`` (a fresh process) always tries straight away."""
from __future__ import annotations

import datetime as dt
import random

from pos.db import utcnow
from pos.stores.models import SyncCursor


def cursor(session, name: str) -> SyncCursor:
    row = session.get(SyncCursor, name)
    if row is None:
        row = SyncCursor(name=name, position=0, last_error="", failures=0)
        session.add(row)
        session.flush()
    return row


def position(db, name: str) -> int:
    with db.unit_of_work(read_only=True) as uow:
        row = uow.session.get(SyncCursor, name)
        return row.position if row else 0


class Backoff:
    """Exponential backoff with jitter per direction, for one worker process."""

    def __init__(self, base: float = 2.0, ceiling: float = 300.0):
        self.base = base
        self.ceiling = ceiling
        self.failures: dict[str, int] = {}
        self.not_before: dict[str, dt.datetime] = {}

    def due(self, name: str) -> bool:
        wait_until = self.not_before.get(name)
        return wait_until is None or utcnow() >= wait_until

    def failed(self, name: str) -> dt.datetime:
        count = self.failures[name] = self.failures.get(name, 0) + 1
        delay = min(self.ceiling, self.base * 2 ** (count - 1)) * random.uniform(0.8, 1.2)
        self.not_before[name] = utcnow() + dt.timedelta(seconds=delay)
        return self.not_before[name]

    def succeeded(self, name: str) -> None:
        self.failures.pop(name, None)
        self.not_before.pop(name, None)


def backoff_for(app) -> Backoff:
    return app.extensions.setdefault(
        "sync.backoff", Backoff(ceiling=float(app.config["POS_SYNC_MAX_BACKOFF_SECONDS"])))


def record_success(db, name: str, new_position: int | None = None) -> None:
    with db.unit_of_work() as uow:
        row = cursor(uow.session, name)
        if new_position is not None and new_position > row.position:
            row.position = new_position
        row.last_success_at = row.last_attempt_at = utcnow()
        row.failures = 0
        row.next_attempt_at = None
        uow.commit()


def record_failure(db, name: str, error: str, next_attempt: dt.datetime | None) -> None:
    with db.unit_of_work() as uow:
        row = cursor(uow.session, name)
        row.last_attempt_at = row.last_error_at = utcnow()
        row.last_error = error[:500]
        row.failures += 1
        row.next_attempt_at = next_attempt
        uow.commit()
