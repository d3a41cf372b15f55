"""Store → HQ: send the change feed after the acknowledged cursor, in batches, until nothing is left.

The cursor moves only on HQ's answer, in its own transaction after it: a push cut off anywhere is sent
again, and HQ (which applies each store seq once) acknowledges the repeat without applying it twice.

While HQ applies one batch the next is read and encoded beside it; it is only sent once HQ has
acknowledged the one before, and dropped (read again next time) if HQ did not.

Every change goes with its own id and the epoch (the life of this database) it was made in; HQ dedupes on
the id.  Before the first push of a new epoch the store says hello (handshake.py).  A store with nothing to
send still pushes an empty batch saying how far it is sent: HQ counts a store fresh only while pushes
arrive, so a quiet store stays fresh and a store whose pushes fail goes stale even if its pulls work."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Text, cast, func, select

from pos.feed.models import Change
from pos.stores.epochs import BOOKMARK
from pos.returns.models import Return
from pos.shifts.models import DayReport, Shift
from sync.quarantine import services as quarantine
from sync.replication import state
from sync.replication.client import HqClient, HqRefused, HqUnreachable
from sync.replication.handshake import current_epoch_id, greet, refused_epoch, start_again

CURSOR = "push"
# Feed payloads describe facts for people; HQ also needs the ids a few of them leave out.
COMPLETED = ("return", "shift", "day_report")


@dataclass
class Batch:
    body: bytes  # the request, ready to send
    through: int  # the last seq in it
    size: int


SENT = Change.entity != BOOKMARK  # the epoch's bookmark only moves the store's seq on


def pending(session, after: int, limit: int) -> list:
    """(id, seq, entity, entity_id, op, payload as stored JSON text, created_at) after the cursor, in feed
    order."""
    return session.execute(select(Change.id, Change.seq, Change.entity, Change.entity_id, Change.op,
                                  cast(Change.payload, Text).label("payload"), Change.created_at)
                           .where(Change.seq > after, SENT).order_by(Change.seq).limit(limit)).all()


def backlog(session, after: int) -> tuple[int, object]:
    """How many changes wait for HQ, and when the oldest was made."""
    count, oldest = session.execute(select(func.count(), func.min(Change.created_at))
                                    .where(Change.seq > after, SENT)).one()
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


def encode(session, rows, epoch, waiting_since=None) -> bytes:
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
        parts.append(f'{{"id":"{r.id}","seq":{int(r.seq)},"entity":{dumps(r.entity)},'
                     f'"entity_id":{dumps(r.entity_id)},"op":{dumps(r.op)},"payload":{payload}}}')
    return ('{"changes":[' + ",".join(parts) + "]" + _about(epoch, rows[-1].seq if rows else None, waiting_since)
            + "}").encode()


def _about(epoch, up_to, waiting_since) -> str:
    """The batch's envelope: its epoch, how far the feed is sent with it, and what still waits."""
    text = f',"epoch":"{epoch}"' if epoch else ""
    if up_to is not None:
        text += f',"up_to":{int(up_to)}'
    if waiting_since is not None:
        text += f',"waiting_since":"{_aware(waiting_since).isoformat()}"'
    return text


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def next_batch(db, after: int, limit: int, epoch=None) -> Batch | None:
    with db.unit_of_work(read_only=True) as uow:
        rows = pending(uow.session, after, limit + 1)  # one more: when the oldest change left waiting was made
        if not rows:
            return None
        rows, rest = rows[:limit], rows[limit:]
        return Batch(encode(uow.session, rows, epoch, rest[0].created_at if rest else None), rows[-1].seq,
                     len(rows))


def up_to_date(epoch, position: int) -> bytes:
    """An empty push: nothing waits, the feed is sent through ``position``."""
    return ('{"changes":[]' + _about(epoch, position, None) + "}").encode()


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
    sent = applied = duplicates = quarantined = 0
    greeting = ""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-reader") as reader:
        try:
            greeting = greet(db, client) or ""
            epoch = current_epoch_id(db)
            position = state.position(db, CURSOR)
            coming = reader.submit(next_batch, db, position, limit, epoch)
            while True:
                batch = coming.result()
                if batch is None:
                    if not sent:  # nothing to send: say so, HQ keeps the store fresh only while pushes arrive
                        client.push_body(up_to_date(epoch, position))
                    state.record_success(db, CURSOR)
                    backoff.succeeded(CURSOR)
                    return _said(greeting, f"{sent} change(s) sent, {applied} newly applied at HQ, "
                                           f"{duplicates} already there" + (
                                               f", {quarantined} quarantined there" if quarantined else ""))
                coming = reader.submit(next_batch, db, batch.through, limit, epoch)
                answer = client.push_body(batch.body)
                if answer.get("through") != batch.through:
                    raise HqRefused(200, f"HQ acknowledged through {answer.get('through')}, "
                                         f"expected {batch.through}")
                if answer.get("refused"):  # quarantined at HQ: delivered for now, noted before moving past
                    quarantined += _note_refused(db, answer["refused"])
                state.record_success(db, CURSOR, batch.through)
                sent += batch.size
                applied += answer.get("applied", 0)
                duplicates += answer.get("duplicates", 0)
        except (HqUnreachable, HqRefused) as exc:
            if why := refused_epoch(exc):
                try:  # introduce the (new) epoch; the next round sends the batch
                    greeting = start_again(db, client, why) or greeting
                except (HqUnreachable, HqRefused) as again:
                    exc = again
            next_try = backoff.failed(CURSOR)
            state.record_failure(db, CURSOR, str(exc), next_try)
            return _said(greeting, f"push failed after {sent} change(s): {exc}")


def _said(greeting: str, line: str) -> str:
    return f"{greeting}; {line}" if greeting else line
