"""Store → HQ: send the change feed after the acknowledged cursor, in batches, until nothing is left.

The cursor moves only on HQ's answer, in its own transaction after it: a push cut off anywhere is sent
again, and HQ (which applies each store seq once) acknowledges the repeat without applying it twice.

While HQ applies one batch the next is read and encoded beside it; it is only sent once HQ has
acknowledged the one before, and dropped (read again next time) if HQ did not."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, select

from pos.feed.models import Change
from pos.returns.models import Return
from pos.shifts.models import DayReport, Shift
from sync.quarantine import services as quarantine
from sync.replication import state
from sync.replication.client import HqClient, HqRefused, HqUnreachable

CURSOR = "push"
# Feed payloads describe facts for people; HQ also needs the ids a few of them leave out.
COMPLETED = ("return", "shift", "day_report")


@dataclass
class Batch:
    body: bytes  # the request, ready to send
    through: int  # the last seq in it
    size: int


def pending(session, after: int, limit: int) -> list:
    """(seq, entity, entity_id, op, payload as stored JSON text) after the cursor, in feed order."""
    return session.execute(select(Change.seq, Change.entity, Change.entity_id, Change.op,
                                  cast(Change.payload, Text).label("payload"))
                           .where(Change.seq > after).order_by(Change.seq).limit(limit)).all()


def backlog(session, after: int) -> tuple[int, object]:
    """How many changes wait for HQ, and when the oldest was made."""
    count, oldest = session.execute(select(func.count(), func.min(Change.created_at)).where(Change.seq > after)).one()
    return count, oldest


def _ids(rows, entity):
    return [uuid.UUID(r.entity_id) for r in rows if r.entity == entity]


def _completions(session, rows) -> dict[str, dict]:
    extra: dict[str, dict] = {}
    if ids := _ids(rows, "return"):
        for row in session.execute(select(Return.id, Return.shift_id, Return.cashier_id).where(Return.id.in_(ids))):
            extra[str(row.id)] = {"shift_id": str(row.shift_id), "cashier_id": str(row.cashier_id)}
    if ids := _ids(rows, "shift"):
        for row in session.execute(select(Shift.id, Shift.cashier_id).where(Shift.id.in_(ids))):
            extra[str(row.id)] = {"cashier_id": str(row.cashier_id)}
    if ids := _ids(rows, "day_report"):
        for row in session.execute(select(DayReport.id, DayReport.created_by).where(DayReport.id.in_(ids))):
            extra[str(row.id)] = {"created_by": str(row.created_by)}
    return extra


def encode(session, rows) -> bytes:
    """The batch as HQ reads it ({"changes": [...]}).  A payload goes out as the JSON text the feed
    stored (a sale's is most of the request): decoding it only to encode it again is the store's
    biggest cost per change.  Only the few payloads HQ needs completed are decoded."""
    extra = _completions(session, rows) if any(r.entity in COMPLETED for r in rows) else {}
    dumps = json.dumps
    parts = []
    for r in rows:
        payload = r.payload
        if r.entity in COMPLETED or not isinstance(payload, str):
            payload = payload if not isinstance(payload, str) else json.loads(payload)
            payload = dumps({**payload, **extra.get(r.entity_id, {})})
        parts.append(f'{{"seq":{int(r.seq)},"entity":{dumps(r.entity)},"entity_id":{dumps(r.entity_id)},'
                     f'"op":{dumps(r.op)},"payload":{payload}}}')
    return ('{"changes":[' + ",".join(parts) + "]}").encode()


def next_batch(db, after: int, limit: int) -> Batch | None:
    with db.unit_of_work(read_only=True) as uow:
        rows = pending(uow.session, after, limit)
        if not rows:
            return None
        return Batch(encode(uow.session, rows), rows[-1].seq, len(rows))


def _note_refused(db, answers: list[dict]) -> int:
    with db.unit_of_work() as uow:
        noted = quarantine.note_refused(uow.session, answers)
        uow.commit()
    return noted


def push(app, client: HqClient | None = None) -> str:
    config = app.config
    if not config["POS_HQ_URL"] or not config["POS_STORE_TOKEN"]:
        return "HQ not configured (POS_HQ_URL, POS_STORE_TOKEN); nothing pushed"
    db = app.extensions["pos.db"]
    backoff = state.backoff_for(app)
    if not backoff.due(CURSOR):
        return f"HQ unreachable; next try after {backoff.not_before[CURSOR].isoformat()}"
    client = client or HqClient(config["POS_HQ_URL"], config["POS_STORE_TOKEN"], config["POS_SYNC_TIMEOUT_SECONDS"])
    limit = config["POS_SYNC_BATCH"]
    sent = applied = quarantined = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-reader") as reader:
        try:
            coming = reader.submit(next_batch, db, state.position(db, CURSOR), limit)
            while True:
                batch = coming.result()
                if batch is None:
                    state.record_success(db, CURSOR)
                    backoff.succeeded(CURSOR)
                    return f"{sent} change(s) sent, {applied} newly applied at HQ" + (
                        f", {quarantined} quarantined there" if quarantined else "")
                coming = reader.submit(next_batch, db, batch.through, limit)
                answer = client.push_body(batch.body)
                if answer.get("through") != batch.through:
                    raise HqRefused(200, f"HQ acknowledged through {answer.get('through')}, "
                                         f"expected {batch.through}")
                if answer.get("refused"):  # quarantined at HQ: delivered for now, noted before moving past
                    quarantined += _note_refused(db, answer["refused"])
                state.record_success(db, CURSOR, batch.through)
                sent += batch.size
                applied += answer.get("applied", 0)
        except (HqUnreachable, HqRefused) as exc:
            next_try = backoff.failed(CURSOR)
            state.record_failure(db, CURSOR, str(exc), next_try)
            return f"push failed after {sent} change(s): {exc}"
