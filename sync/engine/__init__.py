"""HQ's task engine: every HQ job on Procrastinate (PostgreSQL), deferred with the change that causes it.

Stores and standalone nodes keep the one in-process APScheduler on SQLite (sync.worker)."""
