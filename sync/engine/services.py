"""What the engine holds, for people: queued, running and failed jobs, and a failed job run again.

Plain SQL on the node's own session (Procrastinate's tables and its retry function), so the CLI, the API and
the back office read the queue as it is in PostgreSQL, whichever worker holds a job."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pos.problems import ApiProblem
from sync.engine.defer import engine_here

STATUSES = ("todo", "doing", "failed", "aborted", "succeeded", "cancelled")


class NoEngine(ApiProblem):
    def __init__(self):
        super().__init__(404, "no-task-engine", "this node has no task engine: its jobs run in the worker's "
                                                "own scheduler (SQLite)")


def _require(session) -> None:
    if not engine_here(session):
        raise NoEngine()


def summary(session) -> dict:
    """{task: {status: count}} for every job the engine keeps (done jobs are removed as they finish)."""
    _require(session)
    counts: dict[str, dict[str, int]] = {}
    for task, status, n in session.execute(text(
            "SELECT task_name, CAST(status AS text), count(*) FROM procrastinate_jobs GROUP BY 1, 2 ORDER BY 1, 2")):
        counts.setdefault(task, {})[status] = n
    return counts


_SELECT = ("SELECT j.id, j.task_name, CAST(j.status AS text) AS status, j.lock, j.args, j.attempts, "
           "j.scheduled_at, (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS changed_at "
           "FROM procrastinate_jobs j ")


def _json(row) -> dict:
    return {"id": row["id"], "task": row["task_name"], "status": row["status"], "key": row["lock"],
            "args": dict(row["args"] or {}), "attempts": row["attempts"],
            "due_at": row["scheduled_at"].isoformat() if row["scheduled_at"] else None,
            "changed_at": row["changed_at"].isoformat() if row["changed_at"] else None}


def listed(session, status: str, limit: int = 100) -> list[dict]:
    """Jobs in one status, oldest first; a queued job shows when it is due (a retry's back-off)."""
    _require(session)
    if status not in STATUSES:
        raise ApiProblem(422, "invalid-field", f"status: one of {', '.join(STATUSES)}", field="status")
    rows = session.execute(text(_SELECT + "WHERE j.status = CAST(:status AS procrastinate_job_status) "
                                          "ORDER BY j.id LIMIT :limit"), {"status": status, "limit": limit})
    return [_json(row) for row in rows.mappings()]


def job(session, job_id: int) -> dict | None:
    row = session.execute(text(_SELECT + "WHERE j.id = :id"), {"id": job_id}).mappings().first()
    return _json(row) if row is not None else None


def _already_queued(job_id: int, queued: int | None) -> ApiProblem:
    return ApiProblem(409, "job-already-queued", f"job {job_id}: a job with its key is queued already and will do "
                                                 "its work", field="job_id", queued_job=queued)


def retry(session, job_id: int) -> dict:
    """A failed (or aborted) job queued again now; refused when it is not one, or its key is queued already
    (that queued job will do the same work)."""
    _require(session)
    status = session.scalar(text("SELECT CAST(status AS text) FROM procrastinate_jobs WHERE id = :id"),
                            {"id": job_id})
    if status is None:
        raise ApiProblem(404, "job-not-found", f"job {job_id} is not in the engine", field="job_id")
    if status not in ("failed", "aborted"):
        raise ApiProblem(409, "job-not-failed", f"job {job_id} is {status}: only a failed or aborted job is run "
                                                "again", field="job_id")
    queued = session.scalar(text(
        "SELECT q.id FROM procrastinate_jobs q JOIN procrastinate_jobs j ON j.id = :id "
        "WHERE q.status = 'todo' AND q.task_name = j.task_name AND q.lock = j.lock LIMIT 1"), {"id": job_id})
    if queued is not None:
        raise _already_queued(job_id, queued)
    try:
        with session.begin_nested():
            if status == "aborted":  # Procrastinate retries failed jobs only: an aborted one goes through failed
                session.execute(text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id"), {"id": job_id})
            session.execute(text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"), {"id": job_id})
    except IntegrityError:  # a periodic job: its next tick is queued (queueing lock)
        raise _already_queued(job_id, None) from None
    return job(session, job_id)
