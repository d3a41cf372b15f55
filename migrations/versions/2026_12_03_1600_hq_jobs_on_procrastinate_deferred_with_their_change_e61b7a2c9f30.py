"""HQ's jobs on Procrastinate: its schema, and moved stock defers the availability job in its own transaction

On PostgreSQL (HQ) this applies Procrastinate's schema (``procrastinate.schema.SchemaManager.get_schema()``,
the SQL of the installed version, pinned by requirements.lock) and adds two functions of ours:

- ``pos_defer_job(task, key, args, schedule_at, lock)`` defers a job of ``task`` under the lock ``key`` (or
  ``lock``) in the caller's transaction.  A job of that task and lock that is queued and not yet started is
  shared, and held (FOR SHARE: the workers' fetch skips locked rows) until the caller commits, so it starts
  only after it can see the caller's change; otherwise a new one is deferred.  A rollback takes the job away
  with the change.  It never waits for another transaction's uncommitted job (so never deadlocks).
- a trigger on ``stock_level_mark`` (written by every moved stock level, revision 3f1c2a7b9d04) defers
  ``publish_availability`` once per transaction: no code path that moves stock can forget the job.

On SQLite (stores, standalone: APScheduler in process) it does nothing.

Revision ID: e61b7a2c9f30
Revises: c0c0a5e1b2c3
Create Date: 2026-12-03 16:00:00.000000+00:00
"""
from alembic import op

revision = 'e61b7a2c9f30'
down_revision = 'c0c0a5e1b2c3'
branch_labels = None
depends_on = None

DEFER = """
CREATE FUNCTION pos_defer_job(_task text, _key text, _args jsonb DEFAULT '{}', _at timestamptz DEFAULT NULL,
                              _lock text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    _id bigint;
BEGIN
    SELECT id INTO _id FROM procrastinate_jobs
     WHERE lock = coalesce(_lock, _key) AND task_name = _task AND status = 'todo'
     ORDER BY id LIMIT 1 FOR SHARE;
    IF FOUND THEN
        RETURN _id;
    END IF;
    -- No queueing lock: a unique index would make this transaction wait for another's uncommitted job, and
    -- two transactions taking two keys in opposite orders would deadlock.  Two that queue the same key at
    -- the same moment queue two jobs; the lock runs them one after the other, the second finds little to do.
    SELECT ids[1] INTO _id FROM procrastinate_defer_jobs_v1(ARRAY[
        ROW('default', _task, 0, coalesce(_lock, _key), NULL, _args, _at)::procrastinate_job_to_defer_v1]) AS ids;
    RETURN _id;
END;
$$"""

MARK = """
CREATE FUNCTION pos_defer_availability() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('pos.availability_deferred', true), '') <> '1' THEN
        PERFORM pos_defer_job('publish_availability', 'publish_availability');
        PERFORM set_config('pos.availability_deferred', '1', true);
    END IF;
    RETURN NULL;
END;
$$"""

TRIGGER = """CREATE TRIGGER tr_pos_defer_availability AFTER INSERT ON stock_level_mark
FOR EACH ROW EXECUTE FUNCTION pos_defer_availability()"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # On the driver's own cursor, without parameters: the schema's text goes to the server as written
    # (its '%' and ':' are not placeholders), in Alembic's transaction.
    cursor = op.get_bind().connection.dbapi_connection.cursor()
    for sql in (SchemaManager.get_schema(), DEFER, MARK, TRIGGER):
        cursor.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS tr_pos_defer_availability ON stock_level_mark")
    op.execute("DROP FUNCTION IF EXISTS pos_defer_availability()")
    op.execute("DROP FUNCTION IF EXISTS pos_defer_job(text, text, jsonb, timestamptz, text)")
    op.execute("DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
               "procrastinate_workers CASCADE")
    op.get_bind().connection.dbapi_connection.cursor().execute("""DO $$ DECLARE f record; BEGIN
        FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
            EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
        END LOOP; END $$""")
    op.execute("DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, "
               "procrastinate_job_status CASCADE")
