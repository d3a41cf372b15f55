from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from sqlalchemy import text

from pos.http import database

api = APIBlueprint("health", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="health")])


class HealthOut(BaseModel):
    status: str
    role: str
    version: str
    database: str


@api.get("/health", responses={200: HealthOut, 503: HealthOut})
def health():
    """Is this node up: its role, version and whether its database answers."""
    from pos import __version__
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        db_state = "ok"
    except Exception as exc:  # the point is to report any failure, not to raise it
        db_state = f"error: {exc.__class__.__name__}"
    body = {"status": "ok" if db_state == "ok" else "degraded", "role": current_app.config["POS_ROLE"],
            "version": __version__, "database": db_state}
    return body, 200 if db_state == "ok" else 503


class ReadyOut(BaseModel):
    ready: bool
    role: str
    checks: dict


@api.get("/ready", responses={200: ReadyOut, 503: ReadyOut})
def ready():
    """Should a balancer send this node requests: its database answers, and every check the node's parts
    registered (at HQ: the task engine's queue) passes.  503 with what failed otherwise."""
    checks: dict = {}
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # reported, not raised: the balancer needs the answer
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    if checks["database"]["ok"]:
        for name, check in current_app.extensions.get("pos.readiness", {}).items():
            try:
                checks[name] = check()
            except Exception as exc:
                checks[name] = {"ok": False, "error": exc.__class__.__name__}
    is_ready = all(check["ok"] for check in checks.values())
    return {"ready": is_ready, "role": current_app.config["POS_ROLE"], "checks": checks}, 200 if is_ready else 503
