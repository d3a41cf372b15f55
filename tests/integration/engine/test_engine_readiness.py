"""Readiness for a balancer: the database, and at HQ the task engine (live workers, the oldest due job and the
failed ones shown); 503 naming what failed."""
from __future__ import annotations

import shutil

from sqlalchemy import text

from tests.conftest import make_test_app


def test_hq_is_ready_when_its_database_and_engine_answer(hq_app, queue):
    client = hq_app.test_client()
    body = client.get("/api/v1/ready").get_json()
    assert body["ready"] is True and body["role"] == "hq"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["engine"] == {"ok": True, "workers": 0, "oldest_due_seconds": 0.0, "failed": 0}
    with queue.engine.begin() as connection:  # a worker beats
        connection.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
    assert client.get("/api/v1/ready").get_json()["checks"]["engine"]["workers"] == 1


def test_hq_without_its_engine_is_not_ready(hq_app, queue):
    with queue.engine.begin() as connection:
        connection.execute(text("ALTER TABLE procrastinate_workers RENAME TO procrastinate_workers_away"))
    try:
        response = hq_app.test_client().get("/api/v1/ready")
        assert response.status_code == 503
        assert response.get_json()["checks"]["engine"] == {"ok": False, "error": "ProgrammingError"}
    finally:
        with queue.engine.begin() as connection:
            connection.execute(text("ALTER TABLE procrastinate_workers_away RENAME TO procrastinate_workers"))


def test_a_store_is_ready_on_its_database_alone_and_not_without_it(tmp_path, sqlite_template):
    path = tmp_path / "store.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = make_test_app(f"sqlite:///{path}", tmp_path, POS_ROLE="store")
    body = app.test_client().get("/api/v1/ready").get_json()
    assert body == {"ready": True, "role": "store", "checks": {"database": {"ok": True}}}
    app.extensions["pos.db"].dispose()
    gone = make_test_app(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}", tmp_path, POS_ROLE="store")
    response = gone.test_client().get("/api/v1/ready")
    assert response.status_code == 503 and response.get_json()["checks"]["database"]["ok"] is False
    gone.extensions["pos.db"].dispose()
