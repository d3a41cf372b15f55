"""HQ's sync endpoints, for store tokens only: push a batch of the store's feed, read HQ's feed."""
from __future__ import annotations

import uuid
from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select, text

from pos.db import utcnow
from pos.feed.models import Change, legacy_change_id
from pos.http import BEARER, run
from pos.problems import ApiProblem
from pos.schemas import Strict
from pos.stores.auth import require_store
from pos.stores.publish import STORE_VISIBLE
from sync.replication.apply import HqBusy, apply_batch, lock_contact
from sync.replication.checks import BIGINT
from sync.replication.freshness import stamp_arrival
from sync.replication.handshake import EpochRefused, check_not_rewound, check_push_epoch
from sync.stock.holds import visible_to

api = APIBlueprint("sync_hq", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="sync")])


class ChangeIn(BaseModel):
    id: uuid.UUID | None = None  # the change's own id (HQ dedupes on it); stores before ids send none
    seq: int = Field(ge=1, le=BIGINT)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    op: str = Field(default="created", max_length=16)
    payload: Any = Field(description="the fact as the store recorded it; checked per change, see `refused`")


class PushIn(Strict):
    changes: list[ChangeIn] = Field(max_length=5000)
    epoch: uuid.UUID | None = None  # the store database's life these changes were made in
    up_to: int | None = Field(default=None, ge=0)  # the store's feed is sent through this seq (empty push)
    # When the oldest change still waiting at the store after this batch was made; none: nothing waits.
    waiting_since: AwareDatetime | None = None


class RefusedOut(BaseModel):
    seq: int
    entity: str
    entity_id: str
    quarantine_id: str = Field(description="`flask quarantine show ID` at HQ")
    status: str = Field(description="held, replayed or discarded (a change sent again after an operator acted)")
    problem: dict = Field(description="the RFC 9457 problem, naming the field (changes[i].payload.…)")


class PushOut(BaseModel):
    through: int | None = Field(description="the highest seq HQ has dealt with: applied, held already or refused")
    received: int
    applied: int
    duplicates: int
    quarantined: int
    refused: list[RefusedOut] = Field(description="changes HQ quarantined; every other change is applied")
    ignored_entities: list[str]


class ChangesQuery(BaseModel):
    after: int = Field(default=0, ge=0)
    limit: int = Field(default=500, ge=1, le=2000)


@api.post("/sync/push", security=BEARER, responses={200: PushOut})
def push(body: PushIn):
    """Apply a batch of the calling store's changes in one transaction; each change (by its id) once.
    An empty batch is a store saying it is up to date: it keeps the store fresh for online channels.
    Answers with ``through`` (the highest seq now dealt with at HQ): the store moves its cursor to it.
    Each change is checked on its own: one HQ refuses (a field that does not fit, sums that do not add up,
    a location that is not this store's) is quarantined and listed under ``refused`` with its problem;
    the others are applied."""
    # Validated already; a payload is handed on as parsed rather than copied again by model_dump().
    changes = [{"id": c.id or legacy_change_id(c.seq, c.entity, c.entity_id), "seq": c.seq, "entity": c.entity,
                "entity_id": c.entity_id, "op": c.op, "payload": c.payload} for c in body.changes]

    def work(session, _):
        location = require_store(session)
        try:
            check_push_epoch(session, location, body.epoch)
            lock_contact(session, location)  # one push of a store at a time, from the epoch check on
            check_not_rewound(session, location, body.epoch, changes)
            answer = apply_batch(session, location, changes, epoch_id=body.epoch)
        except EpochRefused as exc:
            raise ApiProblem(409, exc.slug, exc.detail, field="epoch") from None
        except HqBusy as exc:  # rolled back whole: the store's cursor stays, it sends the same batch again
            raise ApiProblem(503, "hq-busy", f"HQ's database is busy ({exc}); send the batch again",
                             title="Try again") from None
        answer["fresh_through"] = stamp_arrival(location, body.waiting_since).isoformat()
        return answer
    return run(work, auth=False)


@api.get("/sync/changes", security=BEARER)
def changes(query: ChangesQuery):
    """HQ's feed after ``after``: catalogue, cashiers and customer profiles (merges and erasures included).
    ``next`` is the cursor to send next time; ``more`` says whether to ask again at once."""
    def work(session, _):
        location = require_store(session)
        if session.bind.dialect.name == "postgresql":
            # Sequence numbers are handed out before commit: wait for every transaction still writing the feed,
            # so no lower seq can appear after the store has moved past it.
            session.execute(text("SET LOCAL lock_timeout = '5s'"))
            session.execute(text("LOCK TABLE change IN SHARE MODE"))
        rows = session.execute(select(Change.seq, Change.entity, Change.entity_id, Change.op, Change.payload)
                               .where(Change.seq > query.after).order_by(Change.seq).limit(query.limit)).all()
        contact = lock_contact(session, location)
        # Seen, not heard: a pull says nothing about what the store sold (see freshness.py).
        contact.last_pull_at = contact.last_seen_at = utcnow()
        return {"changes": [{"seq": r.seq, "entity": r.entity, "entity_id": r.entity_id, "op": r.op,
                             "payload": r.payload} for r in rows
                            if r.entity in STORE_VISIBLE or visible_to(r.entity, r.payload, location.id)],
                "next": rows[-1].seq if rows else query.after, "more": len(rows) == query.limit}
    return run(work, auth=False)
