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
