"""Seeing HQ's engine: a job that fails is listed as failed with its retry queued after a back-off; `flask jobs`
and GET /api/v1/jobs show both; a failed job can be run again (once: its key then is queued)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from pos.db import utcnow
from sync.engine.tasks import Runner
from tests.conftest import login, make_test_app


def _fail_one(app, queue) -> int:
    """deliver_webhooks, taken by a worker (procrastinate's fetch) and failing in the engine's runner."""
    from sync.engine.defer import defer

    with app.extensions["pos.db"].unit_of_work() as uow:
        job_id = defer(uow.session, "deliver_webhooks")
        uow.commit()
    assert queue.fetch().id == job_id

    def broken():
        raise RuntimeError("the webhook target's database is gone")

    with pytest.raises(RuntimeError):
        Runner(app).run("deliver_webhooks", "deliver_webhooks", broken)
    with queue.engine.begin() as connection:  # what the worker does with the job that raised
        connection.execute(text("SELECT procrastinate_finish_job_v1(:id, 'failed', false)"), {"id": job_id})
    return job_id


def test_a_failed_run_is_listed_and_its_retry_queued_with_back_off(hq_app, queue):
    before = utcnow()
    failed = _fail_one(hq_app, queue)
    [retry] = queue.rows(status="todo")
    assert (retry.task_name, retry.lock, retry.args) == ("deliver_webhooks", "deliver_webhooks", {"attempt": 1})
    assert [j.id for j in queue.rows(status="failed")] == [failed]
    with queue.engine.connect() as connection:
        due = connection.execute(text("SELECT scheduled_at FROM procrastinate_jobs WHERE id = :id"),
                                 {"id": retry.id}).scalar()
    assert before + dt.timedelta(seconds=2) <= due <= utcnow() + dt.timedelta(seconds=2)
    assert queue.fetch() is None  # not before its time

    runner = hq_app.test_cli_runner()
    out = runner.invoke(args=["jobs"]).output
    assert "deliver_webhooks: 1 failed, 1 todo" in out
    out = runner.invoke(args=["jobs", "failed"]).output
    assert out.startswith(f"{failed}\tdeliver_webhooks\tdeliver_webhooks\t")
    out = runner.invoke(args=["jobs", "queued"]).output
    assert out.startswith(f"{retry.id}\tdeliver_webhooks\tdeliver_webhooks\tattempt=1\tattempt 1 due ")


def test_the_api_lists_failed_jobs_and_runs_one_again(hq_app, queue):
    failed = _fail_one(hq_app, queue)
    manager = login(hq_app.test_client(), "boss", "9999")
    body = manager.get("/api/v1/jobs?status=failed").get_json()
    assert [j["id"] for j in body["items"]] == [failed]
    assert body["counts"] == {"deliver_webhooks": {"failed": 1, "todo": 1}}

    refused = manager.post(f"/api/v1/jobs/{failed}/retry")  # its back-off retry holds the key
    assert refused.status_code == 409 and refused.get_json()["invalid_params"][0]["name"] == "job_id"
    with queue.engine.begin() as connection:  # … until that retry is due and a worker takes it
        connection.execute(text("UPDATE procrastinate_jobs SET scheduled_at = NULL WHERE status = 'todo'"))
    assert queue.fetch() is not None
    again = manager.post(f"/api/v1/jobs/{failed}/retry")
    assert again.status_code == 200 and again.get_json()["status"] == "todo"
    assert manager.post(f"/api/v1/jobs/{failed}/retry").status_code == 409  # not failed any more
    assert manager.post("/api/v1/jobs/999999/retry").status_code == 404
    refused = hq_app.test_cli_runner().invoke(args=["jobs", "retry", "999999"])
    assert refused.exit_code == 1 and "Zadania 999999 nie ma w silniku." in refused.output
    bad = manager.get("/api/v1/jobs?status=lost")
    assert bad.status_code == 422 and bad.get_json()["invalid_params"][0]["name"] == "status"
    cashier = login(hq_app.test_client())
    assert cashier.get("/api/v1/jobs").status_code == 403


def test_a_node_without_the_engine_says_so(tmp_path, sqlite_template, pin_hashes):
    import shutil
    path = tmp_path / "store.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}", tmp_path, POS_ROLE="store")  # a Polish store: the node's language
    result = app.test_cli_runner().invoke(args=["jobs"])
    assert result.exit_code == 1 and "Ten węzeł nie ma silnika zadań" in result.output
    app.extensions["pos.db"].dispose()
