"""The worker's channel pushers: one thread per configured channel, woken when the availability feed grows.

A sale changes the ledger; a watcher notices (a cheap look at the newest ledger and reservation rows every
``POS_CHANNEL_FEED_SECONDS``, default 0.1 s), publishes the availability feed at once and, when the feed
grew, wakes every channel's pusher.  A pusher sends everything its channel has due in one push (what piled
up while the previous push was on its way goes together in the next), so pushes are coalesced per channel
and follow the change instead of a fixed timer.  Each pusher runs and rests on its own: a channel whose
pushes fail or hang (retries, back-off) delays no other channel, and never its own order pulls, which are
scheduler jobs of their own.  A pusher also looks by itself every ``POS_CHANNEL_PUSH_IDLE_SECONDS``
(default 2 s) for what no feed row announces: a listing mapped at HQ, a refused SKU whose retry time came.
"""
from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select

from pos.db import utcnow
from pos.stock.models import AvailabilityChange, ReservationEvent, StockMovement
from sync.channels.accounts import configured, timing
from sync.channels.push import PUBLISHING, push_channel

log = logging.getLogger(__name__)

EXTENSION = "sync.channels.pushers"


def ledger_mark(session) -> tuple:
    """Changes whenever stock moves or a reservation does (ids are time-ordered): worth a new feed."""
    # ORDER BY … LIMIT 1 rather than max(): PostgreSQL has no max() over uuid; both walk the primary key.
    return tuple(session.scalar(select(column).order_by(column.desc()).limit(1))
                 for column in (StockMovement.id, ReservationEvent.id))


def feed_head(session) -> int:
    return session.scalar(select(func.max(AvailabilityChange.seq))) or 0


class Pushers:
    def __init__(self, app):
        self.app = app
        self.channels = configured(app.config)
        pace = timing(app.config)
        self.tick, self.idle = pace["feed"], pace["idle"]
        self.woken = {channel: threading.Event() for channel in self.channels}
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> "Pushers":
        if self.channels:
            targets = [("channel-feed", self._watch, ())] + [
                (f"channel-push-{channel}", self._serve, (channel,)) for channel in self.channels]
            for name, target, args in targets:
                thread = threading.Thread(target=target, args=args, name=name, daemon=True)
                thread.start()
                self.threads.append(thread)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        for event in self.woken.values():
            event.set()
        for thread in self.threads:
            thread.join(timeout)

    def wake(self) -> None:
        for event in self.woken.values():
            event.set()

    def _watch(self) -> None:
        from sync.stock.jobs import publish_availability

        db = self.app.extensions["pos.db"]
        published_at = head = None
        while not self.stopping.is_set():
            try:
                with db.unit_of_work(read_only=True) as uow:
                    mark = ledger_mark(uow.session)
                if mark != published_at:
                    # Read before publishing: a change committed meanwhile moves the mark again.
                    with PUBLISHING:
                        publish_availability(self.app)
                    published_at = mark
                with db.unit_of_work(read_only=True) as uow:
                    newest = feed_head(uow.session)
                if newest != head:
                    head = newest
                    self.wake()
            except Exception:  # the watcher must outlive a database hiccup
                log.exception("watching the availability feed failed")
            self.stopping.wait(self.tick)

    def _serve(self, channel: str) -> None:
        event = self.woken[channel]
        while not self.stopping.is_set():
            event.clear()
            try:
                result = push_channel(self.app, channel)
            except Exception:  # a failing push is logged and tried again; the pusher stays up
                log.exception("pushing to %s failed", channel)
                result = {"channel": channel, "error": "crashed"}
            if result.get("pushed") or result.get("failed"):
                log.info("pushed to %s: %s", channel, {k: v for k, v in result.items() if k != "channel"})
            until = result.get("until")
            if until is not None:
                # Resting: changes meanwhile wait for the back-off, then go in one push.
                self.stopping.wait(max(0.05, (until - utcnow()).total_seconds()))
            else:
                event.wait(self.idle)


def start_pushers(app) -> Pushers:
    """The worker's pushers, started once per process (the worker calls this at start)."""
    pushers = app.extensions.get(EXTENSION)
    if pushers is None:
        pushers = app.extensions.setdefault(EXTENSION, Pushers(app).start())
    return pushers


def stop_pushers(app) -> None:
    pushers = app.extensions.pop(EXTENSION, None)
    if pushers is not None:
        pushers.stop()
