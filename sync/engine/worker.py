"""An HQ worker process: `python -m sync` with POS_ROLE=hq.  Start as many as the load needs, on as many
machines; each runs POS_ENGINE_CONCURRENCY jobs at once.  TERM (or Ctrl+C) stops fetching jobs and lets the
running ones finish (a push in flight lands) for up to POS_ENGINE_SHUTDOWN_SECONDS; a second TERM stops at
once (its jobs are then run again by another worker, like a killed one's)."""
from __future__ import annotations

import logging

from sync.engine.tasks import build

log = logging.getLogger("sync.worker")


def options(config) -> dict:
    return {"concurrency": int(config.get("POS_ENGINE_CONCURRENCY") or 4),
            "update_heartbeat_interval": float(config.get("POS_ENGINE_HEARTBEAT_SECONDS") or 10.0),
            "stalled_worker_timeout": float(config.get("POS_ENGINE_STALLED_SECONDS") or 30.0),
            "shutdown_graceful_timeout": float(config.get("POS_ENGINE_SHUTDOWN_SECONDS") or 60.0),
            # Done jobs leave the table (failed ones stay, for `flask jobs` and the back office).
            "delete_jobs": "successful", "wait": True, "install_signal_handlers": True}


def run(flask_app) -> None:
    engine = build(flask_app)
    log.info("HQ worker started (Procrastinate) with tasks: %s", ", ".join(sorted(engine.tasks)))
    engine.run_worker(**options(flask_app.config))
