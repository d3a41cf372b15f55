"""HQ's task engine: every HQ job on Procrastinate (PostgreSQL), deferred with the change that causes it.

Stores and standalone nodes keep the one in-process APScheduler on SQLite (sync.worker)."""


def models_own(name, type_, parent_names) -> bool:
    """Alembic's include_name: Procrastinate's tables are its schema's (revision e61b7a2c9f30), not models, so
    comparing the database with the models leaves them out."""
    return not (type_ == "table" and name.startswith("procrastinate_"))
