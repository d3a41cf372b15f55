"""The worker's jobs carry their business names wherever they are logged (APScheduler's own lines, a
failure's traceback), never `_runner.<locals>.run`."""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from sync.worker import schedule
from tests.conftest import make_test_app


def _store_worker(tmp_path):
    # a database without tables: every job that touches it fails, as one would when the disk goes away
    app = make_test_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path, POS_ROLE="store")
    return app, schedule(app, BackgroundScheduler(timezone="UTC"))


def test_each_scheduled_job_is_named_for_what_it_does(tmp_path):
    app, scheduler = _store_worker(tmp_path)
    try:
        jobs = scheduler.get_jobs()
        assert {job.id for job in jobs} >= {"push_to_hq", "pull_from_hq", "purge_expired_tokens"}
        assert all(job.name == job.id and job.func.__qualname__ == job.id for job in jobs)
        assert not any("<locals>" in str(job) for job in jobs)
    finally:
        app.extensions["pos.db"].dispose()


def test_a_failing_job_is_logged_under_its_name(tmp_path, caplog):
    app, scheduler = _store_worker(tmp_path)
    try:
        purge = scheduler.get_job("purge_expired_tokens")
        with caplog.at_level(logging.ERROR, logger="sync.worker"):
            purge.func()  # the worker keeps running: the failure is logged, not raised
        [record] = [r for r in caplog.records if r.name == "sync.worker"]
        assert record.getMessage() == "purge_expired_tokens failed" and record.job == "purge_expired_tokens"
        assert record.exc_info is not None
    finally:
        app.extensions["pos.db"].dispose()
