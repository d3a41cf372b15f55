"""Every background job, listed as data: id, what it runs, how often.

The worker (``python -m sync``) schedules exactly these, one process, each with an
explicit id and max_instances=1; ``flask sync once`` runs each one time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, or_

from pos.db import utcnow
from pos.staff.models import AuthToken


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable  # run(app) -> str (a line for the log)
    seconds: int
    roles: tuple = ("store", "hq", "standalone")
    # Jobs that wake on their own when there is work: the worker starts service(app) once instead of
    # running ``run`` on a timer (``run`` stays for `flask sync once`).
    service: Callable | None = None


def purge_expired_tokens(app) -> str:
    """Expired and revoked cashier tokens are of no use; keep the auth table small."""
    with app.extensions["pos.db"].unit_of_work() as uow:
        removed = uow.session.execute(delete(AuthToken).where(
            or_(AuthToken.expires_at < utcnow(), AuthToken.revoked))).rowcount
        uow.commit()
    return f"{removed} expired token(s) removed"


def _replication():
    from sync.replication.jobs import pull_from_hq, push_to_hq
    return [Job("push_to_hq", push_to_hq, seconds=10, roles=("store",)),
            Job("pull_from_hq", pull_from_hq, seconds=10, roles=("store",))]


def _run_journeys(app) -> str:
    from sync.journeys.jobs import run_journeys
    return run_journeys(app)


def _expire_gift_cards(app) -> str:
    from pos.giftcards.jobs import expire_gift_cards
    return expire_gift_cards(app)


def _stock_jobs() -> list[Job]:
    from sync.channels.push import one_publisher
    from sync.stock.jobs import expire_reservations, publish_availability
    from sync.webhooks.jobs import deliver_webhooks, queue_feed_events
    online = ("hq", "standalone")  # where the web-shop API runs
    return [
        Job("expire_reservations", expire_reservations, seconds=30, roles=online),
        # The channel push round publishes too (every second); the lock keeps the two from racing.
        Job("publish_availability", one_publisher(publish_availability), seconds=10, roles=online),
        Job("queue_feed_events", queue_feed_events, seconds=10, roles=online),
        Job("deliver_webhooks", deliver_webhooks, seconds=10, roles=online),
        Job("run_journeys", _run_journeys, seconds=10, roles=online),
    ]


def _channel_jobs() -> list[Job]:
    from sync.channels.jobs import pull_channel_orders, push_to_channels, reconcile_channels
    from sync.channels.pushers import start_pushers
    online = ("hq", "standalone")  # a channel without POS_CHANNEL_<NAME>_URL is skipped
    return [
        # One pusher per channel, woken when the availability feed grows (sync.channels.pushers).
        Job("push_to_channels", push_to_channels, seconds=1, roles=online, service=start_pushers),
        Job("pull_channel_orders", pull_channel_orders, seconds=15, roles=online),
        Job("reconcile_channels", reconcile_channels, seconds=300, roles=online),
    ]


JOBS: list[Job] = [
    Job("purge_expired_tokens", purge_expired_tokens, seconds=3600),
    Job("expire_gift_cards", _expire_gift_cards, seconds=3600, roles=("hq", "standalone")),
    *_stock_jobs(),
    *_channel_jobs(),
    *_replication(),
]


def jobs_for(role: str) -> list[Job]:
    return [job for job in JOBS if role in job.roles]
