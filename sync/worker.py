"""The one scheduler process.  Never start a scheduler inside web workers."""
from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler

from sync.jobs import jobs_for

log = logging.getLogger("sync.worker")


def _runner(app, job):
    def run():
        try:
            # every few seconds on a quiet node: seen with POS_LOG_LEVEL=DEBUG
            log.debug("%s: %s", job.id, job.run(app), extra={"job": job.id})
        except Exception:  # a failing job is logged and retried next time; the worker stays up
            log.exception("%s failed", job.id, extra={"job": job.id})
    # APScheduler and tracebacks name a job by its callable: the business name, not _runner.<locals>.run
    run.__name__ = run.__qualname__ = job.id
    return run


def build_scheduler(app) -> BlockingScheduler:
    return schedule(app, BlockingScheduler(timezone="UTC"))


def schedule(app, scheduler):
    """Timer jobs go on the scheduler; jobs that wake on their own (``Job.service``) are started instead."""
    for job in jobs_for(app.config["POS_ROLE"]):
        if job.service is not None:
            job.service(app)
            log.info("%s: started", job.id, extra={"job": job.id})
            continue
        scheduler.add_job(_runner(app, job), "interval", seconds=job.seconds, id=job.id, name=job.id, max_instances=1,
                          coalesce=True, replace_existing=True, next_run_time=_now())
    return scheduler


def _now():
    import datetime as dt
    return dt.datetime.now(dt.timezone.utc)


def run_once(app) -> list[str]:
    """Every due job one time, in order (operators and tests)."""
    return [f"{job.id}: {job.run(app)}" for job in jobs_for(app.config["POS_ROLE"])]
