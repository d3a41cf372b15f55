"""Store → HQ: send the change feed after the acknowledged cursor, in batches, until nothing is left.

The cursor moves only on HQ's answer, in its own transaction after it: a push cut off anywhere is sent
again, and HQ (which applies each store seq once) acknowledges the repeat without applying it twice."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pos.feed.models import Change
from pos.returns.models import Return
from pos.shifts.models import DayReport, Shift
from sync.replication import state
from sync.replication.client import HqClient, HqRefused, HqUnreachable

CURSOR = "push"


def pending(session, after: int, limit: int) -> list[Change]:
    return list(session.scalars(select(Change).where(Change.seq > after).order_by(Change.seq).limit(limit)))


def backlog(session, after: int) -> tuple[int, object]:
    """How many changes wait for HQ, and when the oldest was made."""
    count, oldest = session.execute(select(func.count(), func.min(Change.created_at)).where(Change.seq > after)).one()
    return count, oldest


def _ids(changes, entity):
    return [uuid.UUID(c.entity_id) for c in changes if c.entity == entity]


def wire(session, changes: list[Change]) -> list[dict]:
    """The batch as HQ reads it.  Feed payloads describe facts for people; HQ also needs the ids a few
    of them leave out (who worked the shift, which shift a return was in)."""
    extra: dict[str, dict] = {}
    if ids := _ids(changes, "return"):
        for row in session.execute(select(Return.id, Return.shift_id, Return.cashier_id).where(Return.id.in_(ids))):
            extra[str(row.id)] = {"shift_id": str(row.shift_id), "cashier_id": str(row.cashier_id)}
    if ids := _ids(changes, "shift"):
        for row in session.execute(select(Shift.id, Shift.cashier_id).where(Shift.id.in_(ids))):
            extra[str(row.id)] = {"cashier_id": str(row.cashier_id)}
    if ids := _ids(changes, "day_report"):
        for row in session.execute(select(DayReport.id, DayReport.created_by).where(DayReport.id.in_(ids))):
            extra[str(row.id)] = {"created_by": str(row.created_by)}
    return [{"seq": c.seq, "entity": c.entity, "entity_id": c.entity_id, "op": c.op,
             "payload": {**c.payload, **extra.get(c.entity_id, {})} if c.entity in ("return", "shift", "day_report")
             else c.payload}
            for c in changes]


def push(app, client: HqClient | None = None) -> str:
    config = app.config
    if not config["POS_HQ_URL"] or not config["POS_STORE_TOKEN"]:
        return "HQ not configured (POS_HQ_URL, POS_STORE_TOKEN); nothing pushed"
    db = app.extensions["pos.db"]
    backoff = state.backoff_for(app)
    if not backoff.due(CURSOR):
        return f"HQ unreachable; next try after {backoff.not_before[CURSOR].isoformat()}"
    client = client or HqClient(config["POS_HQ_URL"], config["POS_STORE_TOKEN"], config["POS_SYNC_TIMEOUT_SECONDS"])
    sent = applied = 0
    try:
        while True:
            after = state.position(db, CURSOR)
            with db.unit_of_work(read_only=True) as uow:
                batch = wire(uow.session, pending(uow.session, after, config["POS_SYNC_BATCH"]))
            if not batch:
                state.record_success(db, CURSOR)
                backoff.succeeded(CURSOR)
                return f"{sent} change(s) sent, {applied} newly applied at HQ"
            answer = client.push(batch)
            through = batch[-1]["seq"]
            if answer.get("through") != through:
                raise HqRefused(200, f"HQ acknowledged through {answer.get('through')}, expected {through}")
            state.record_success(db, CURSOR, through)
            sent += len(batch)
            applied += answer.get("applied", 0)
    except (HqUnreachable, HqRefused) as exc:
        next_try = backoff.failed(CURSOR)
        state.record_failure(db, CURSOR, str(exc), next_try)
        return f"push failed after {sent} change(s): {exc}"
