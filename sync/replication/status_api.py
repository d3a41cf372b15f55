"""The store's sync state, for the cashier's page: last success, backlog size and age, last error."""
from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from pos.db import utcnow
from pos.http import BEARER, run
from pos.stores.models import SyncCursor
from sync.quarantine import services as quarantine
from sync.replication.push import backlog

api = APIBlueprint("sync_status", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="sync")])


def _iso(value):
    return value.isoformat() if value else None


def _cursor_json(row: SyncCursor | None) -> dict:
    if row is None:
        return {"position": 0, "last_success_at": None, "last_attempt_at": None, "last_error": "",
                "last_error_at": None, "failures": 0, "next_attempt_at": None}
    return {"position": row.position, "last_success_at": _iso(row.last_success_at),
            "last_attempt_at": _iso(row.last_attempt_at), "last_error": row.last_error,
            "last_error_at": _iso(row.last_error_at), "failures": row.failures,
            "next_attempt_at": _iso(row.next_attempt_at)}


@api.get("/sync/status", security=BEARER)
def sync_status():
    """Is this store in step with HQ: each direction's last success and error, what waits to be sent, and
    how many of its changes HQ refused into its quarantine (an operator there replays or discards them)."""
    def work(session, _till):
        config = current_app.config
        push, pull = session.get(SyncCursor, "push"), session.get(SyncCursor, "pull")
        count, oldest = backlog(session, push.position if push else 0)
        return {"role": config["POS_ROLE"], "hq_url": config["POS_HQ_URL"] or None,
                "configured": bool(config["POS_HQ_URL"] and config["POS_STORE_TOKEN"]),
                "push": _cursor_json(push), "pull": _cursor_json(pull),
                "backlog": {"changes": count, "oldest_at": _iso(oldest),
                            "age_seconds": int((utcnow() - oldest).total_seconds()) if oldest else 0},
                "refused_at_hq": quarantine.refused_summary(session)}
    return run(work, read_only=True)
