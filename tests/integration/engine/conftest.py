"""HQ's task engine on the test PostgreSQL server: the HQ app, and the engine's queue read as it is."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_test_app, seed_store


def clear_jobs(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
                                "procrastinate_workers RESTART IDENTITY CASCADE"))
    engine.dispose()


class Queue:
    """The engine's jobs, read on a connection of its own (what a worker on another machine would see)."""

    def __init__(self, url: str):
        self.engine = create_engine(url)

    def rows(self, task: str | None = None, status: str | None = None) -> list:
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT id, task_name, status, lock, queueing_lock, args FROM procrastinate_jobs "
                "WHERE (CAST(:task AS text) IS NULL OR task_name = :task) "
                "AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS procrastinate_job_status)) "
                "ORDER BY id"), {"task": task, "status": status}).all()

    def fetch(self) -> object:
        """What a worker's fetch takes now (procrastinate's own function), committed like a worker does."""
        with self.engine.begin() as connection:
            row = connection.execute(text("SELECT id, task_name FROM procrastinate_fetch_job_v2(NULL, NULL)")).one()
        return row if row.id is not None else None

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def pg_url(request):
    url = request.getfixturevalue("postgres_url")
    from tests.conftest import _truncate_postgres
    _truncate_postgres(url)
    clear_jobs(url)
    return url


@pytest.fixture
def hq_app(pg_url, tmp_path, pin_hashes):
    app = make_test_app(pg_url, tmp_path, POS_ROLE="hq")
    seed_store(app, pin_hashes)
    clear_jobs(pg_url)  # seeding moved stock: start from an empty queue
    yield app
    app.extensions["pos.db"].dispose()


@pytest.fixture
def queue(pg_url):
    found = Queue(pg_url)
    yield found
    found.close()
