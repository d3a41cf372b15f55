"""The engine's schema comes through Alembic like every other table: on PostgreSQL the revision applies
Procrastinate's schema (and what defers jobs with their change), downgrades cleanly and applies again; on
SQLite (stores, standalone) it does nothing."""
from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from tests.conftest import ROOT, drop_postgres_database, fresh_postgres_database, migrate

REVISION, BEFORE = "e61b7a2c9f30", "a5c11e7b0d42"
ENGINE_TABLES = {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events", "procrastinate_periodic_defers"}


def _alembic(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    return config


def _tables(url: str) -> set:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_revision_applies_procrastinates_schema_on_postgresql_and_takes_it_back(worker_id_safe):
    name = f"pos_test_engine_migration_{worker_id_safe}"
    url = fresh_postgres_database(name)  # upgraded to head
    try:
        assert ENGINE_TABLES <= _tables(url)
        # Procrastinate itself finds its schema and can defer and read a job through it.
        import procrastinate
        from sync.engine.tasks import conninfo

        engine = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))

        @engine.task(name="probe")
        def probe():
            return None

        async def round_trip():
            async with engine.open_async():
                assert await engine.check_connection_async()
                job_id = await probe.defer_async()
                return [job.id for job in await engine.job_manager.list_jobs_async(task="probe")], job_id

        listed, job_id = asyncio.run(round_trip())
        assert listed == [job_id]

        command.downgrade(_alembic(url), BEFORE)
        assert not ENGINE_TABLES & _tables(url)
        probe_engine = create_engine(url)
        with probe_engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%' "
                                           "OR proname LIKE 'pos_defer%'")).scalar() == 0
        probe_engine.dispose()
        command.upgrade(_alembic(url), "head")
        assert ENGINE_TABLES <= _tables(url)
    finally:
        drop_postgres_database(name)


def test_the_revision_does_nothing_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    migrate(url)
    assert not any(table.startswith("procrastinate") for table in _tables(url))
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == REVISION
    engine.dispose()
