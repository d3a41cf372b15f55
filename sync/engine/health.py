"""HQ's readiness check for the task engine: its queue answers; live workers and the oldest due job are shown
(a web process serves without workers, but an operator sees at once that no job is being run)."""
from __future__ import annotations

from sqlalchemy import text


def engine_check(app):
    def check() -> dict:
        stalled = float(app.config.get("POS_ENGINE_STALLED_SECONDS") or 30.0)
        with app.extensions["pos.db"].engine.connect() as connection:
            workers = connection.execute(text(
                "SELECT count(*) FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - make_interval(secs => :stalled)"), {"stalled": stalled}).scalar()
            oldest = connection.execute(text(
                "SELECT extract(epoch FROM now() - min(coalesce(scheduled_at, e.at))) FROM procrastinate_jobs j "
                "LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
                "WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())")).scalar()
            failed = connection.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")).scalar()
        return {"ok": True, "workers": workers, "oldest_due_seconds": round(float(oldest or 0), 1),
                "failed": failed}
    return check
