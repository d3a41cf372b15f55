"""HQ: a store introduces its database's epoch and learns what HQ holds for it (see handshake.py)."""
from __future__ import annotations

import uuid

from flask_openapi3 import APIBlueprint, Tag
from pydantic import Field

from pos.db import utcnow
from pos.http import BEARER, run
from pos.problems import ApiProblem
from pos.schemas import Strict
from pos.stores.auth import require_store
from sync.replication.apply import lock_contact
from sync.replication.handshake import EpochRefused, introduce

api = APIBlueprint("sync_hello", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="sync")])


class HelloIn(Strict):
    epoch: uuid.UUID
    reason: str = Field(default="created", pattern="^(created|restored|upgraded)$")


@api.post("/sync/hello", security=BEARER)
def hello(body: HelloIn):
    """Record the store's epoch; answer with the highest seq, receipt and Z report numbers HQ holds for the
    store (per terminal code), so the store continues above them."""
    def work(session, _):
        location = require_store(session)
        contact = lock_contact(session, location)
        try:
            marks = introduce(session, location, body.epoch, body.reason)
        except EpochRefused as exc:
            raise ApiProblem(409, exc.slug, exc.detail, field="epoch") from None
        contact.last_seen_at = utcnow()
        return marks
    return run(work, auth=False)
