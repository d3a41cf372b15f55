"""Every HQ job as a Procrastinate task.

Each task is keyed: one queued and one running per key, across every worker process on every machine.

- Periodic jobs (``sync.jobs``: purge tokens, expire reservations, publish availability, webhooks, journeys)
  keep their periods; Procrastinate defers each tick once however many workers run.
- Change-caused jobs are deferred in the change's own transaction (``sync.engine.defer``): moved stock defers
  ``publish_availability`` (a database trigger), a publish that grew a channel's feed defers that channel's
  ``push_channel``, a queued webhook delivery defers ``deliver_webhooks``.
- Per channel: ``push_channel:<channel>`` is both the pushes' and the read-back's lock (one push at a time
  per channel), ``pull_channel:<channel>`` the order pulls'.  The periodic ``push_to_channels``,
  ``pull_channel_orders`` and ``reconcile_channels`` defer one job per configured channel.
- ``run_journeys`` runs one round at a time on the whole chain, so a customer's step is never taken twice at
  once.
- A failing run is listed as failed and deferred again with back-off (2, 4, 8 … s, at most 5 minutes,
  ``MAX_ATTEMPTS`` runs); a change meanwhile shares that retry.  Jobs of a worker that died (kill -9, a lost
  machine) are run again by the others (``retry_stalled_jobs``).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

import procrastinate
from procrastinate import PsycopgConnector
from sqlalchemy.engine import make_url

from pos.db import utcnow
from sync.engine.defer import defer

log = logging.getLogger("sync.engine")

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300
STALLED_SWEEP_SECONDS = 5


def conninfo(database_url: str) -> str:
    """Procrastinate's psycopg connection string from the node's SQLAlchemy URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def every(seconds: float) -> str:
    """A cron line for "every N seconds" (Procrastinate's sixth column is seconds)."""
    seconds = max(1, int(round(seconds)))
    if seconds < 60:
        return f"* * * * * */{seconds}"
    if seconds < 3600:
        return f"*/{max(1, seconds // 60)} * * * *"
    return f"0 */{max(1, seconds // 3600)} * * *"


def backoff(attempt: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** max(1, attempt)))


class Runner:
    """Runs one job's work for the Flask app, and defers its retry when it fails."""

    def __init__(self, flask_app):
        self.app = flask_app
        self.db = flask_app.extensions["pos.db"]

    def defer(self, task: str, key: str, args: dict | None = None, at: dt.datetime | None = None,
              lock: str | None = None) -> int | None:
        with self.db.unit_of_work() as uow:
            job_id = defer(uow.session, task, key, args, at=at, lock=lock)
            uow.commit()
        return job_id

    def run(self, task: str, key: str, work: Callable, args: dict | None = None, attempt: int = 0,
            lock: str | None = None):
        try:
            result = work()
        except Exception:
            if attempt + 1 < MAX_ATTEMPTS:
                self.defer(task, key, {**(args or {}), "attempt": attempt + 1}, at=utcnow() + backoff(attempt + 1),
                           lock=lock)
            log.exception("%s failed (attempt %d)", key, attempt + 1, extra={"job": task})
            raise
        log.debug("%s: %s", key, result, extra={"job": task})
        return result


def build(flask_app) -> procrastinate.App:
    """The engine for this HQ: its connection and every task, bound to the Flask app."""
    from sync.channels.accounts import configured, timing
    from sync.channels.orders import pull_channel
    from sync.channels.push import push_channel, push_key
    from sync.channels.reconcile import reconcile_channel
    from sync.channels.state import channel_state, resting_until
    from sync.jobs import jobs_for

    engine = procrastinate.App(connector=PsycopgConnector(conninfo=conninfo(flask_app.config["POS_DATABASE_URL"])))
    runner = Runner(flask_app)
    channels = configured(flask_app.config)

    def periodic(name: str, seconds: float, work: Callable[[], object]) -> None:
        @engine.periodic(cron=every(seconds), periodic_id=name)
        @engine.task(name=name, lock=name, queueing_lock=name)
        def task(timestamp: int | None = None, attempt: int = 0):
            return str(runner.run(name, name, work, attempt=attempt))

    def per_channel(task: str, key: Callable[[str], str], lock: Callable[[str], str] | None = None):
        def defer_all() -> str:
            with runner.db.unit_of_work() as uow:
                for channel in channels:
                    defer(uow.session, task, key(channel), {"channel": channel},
                          lock=lock(channel) if lock else None)
                uow.commit()
            return f"{len(channels)} channel(s)"
        return defer_all

    # The periodic jobs of sync.jobs, as they are at stores and standalone nodes (same ids, same periods);
    # the channel jobs become one job per channel.
    fan_out = {
        "push_to_channels": (per_channel("push_channel", push_key), timing(flask_app.config)["idle"]),
        "pull_channel_orders": (per_channel("pull_channel", lambda c: f"pull_channel:{c}"), None),
        "reconcile_channels": (per_channel("reconcile_channel", lambda c: f"reconcile_channel:{c}", push_key),
                               None),
    }
    for job in jobs_for("hq"):
        if job.id in fan_out:
            work, seconds = fan_out[job.id]
            periodic(job.id, seconds or job.seconds, work)
        else:
            periodic(job.id, job.seconds, lambda run=job.run: run(flask_app))

    @engine.task(name="push_channel")
    def push(channel: str, attempt: int = 0):
        key = push_key(channel)
        result = runner.run("push_channel", key, lambda: push_channel(flask_app, channel), {"channel": channel},
                            attempt)
        if result.get("until") is not None or result.get("error"):
            # The channel rests: what piles up meanwhile goes in one push when its back-off ends.
            with runner.db.unit_of_work(read_only=True) as uow:
                until = resting_until(channel_state(uow.session, channel), "push") or result.get("until")
            runner.defer("push_channel", key, {"channel": channel}, at=until)
        return {k: v for k, v in result.items() if k != "until"}

    @engine.task(name="pull_channel")
    def pull(channel: str, attempt: int = 0):
        return runner.run("pull_channel", f"pull_channel:{channel}", lambda: pull_channel(flask_app, channel),
                          {"channel": channel}, attempt)

    @engine.task(name="reconcile_channel")
    def reconcile(channel: str, attempt: int = 0):
        return runner.run("reconcile_channel", f"reconcile_channel:{channel}",
                          lambda: reconcile_channel(flask_app, channel), {"channel": channel}, attempt,
                          lock=push_key(channel))

    stalled_after = float(flask_app.config.get("POS_ENGINE_STALLED_SECONDS") or 30.0)

    @engine.periodic(cron=every(STALLED_SWEEP_SECONDS), periodic_id="retry_stalled_jobs")
    @engine.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", lock="retry_stalled_jobs",
                 pass_context=True)
    async def retry_stalled_jobs(context, timestamp: int | None = None):
        """Jobs of a worker that stopped beating (killed, its machine lost) go back to the queue; where a
        job with the same key is queued already, that one does the work and the stalled one is aborted."""
        manager = context.app.job_manager
        retried = superseded = 0
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
            try:
                await manager.retry_job(job)
                retried += 1
                log.warning("job %s (%s) of a dead worker is run again", job.id, job.task_name)
            except Exception:  # the key is queued again already (queueing lock): that job will do the work
                await manager.finish_job(job, status=procrastinate.jobs.Status.ABORTED, delete_job=False)
                superseded += 1
                log.warning("job %s (%s) of a dead worker is aborted: its key is queued again, that job does "
                            "the work", job.id, job.task_name)
        return {"retried": retried, "superseded": superseded}

    return engine
