"""HQ's quarantine: hold refused store changes, show them, replay them (as sent or fixed) or discard them.

Replays and discards are a manager's decisions: the caller approves them with a manager's PIN, which writes
the audit entry (pos.staff.services.approve); these functions do the work inside the caller's unit of work."""
from __future__ import annotations

import math
import uuid

from sqlalchemy import func, select

from pos.db import utcnow
from pos.sales.models import Sale
from pos.stores.models import Location
from sync.quarantine.models import DISCARDED, HELD, REPLAYED, CrossStoreReturn, QuarantinedChange, RefusedAtHq
from sync.replication import apply as replication
from sync.replication import bulk
from sync.replication.checks import MAX_DEPTH, InvalidPayload, storable


class QuarantineError(Exception):
    """A request about the quarantine that cannot be done as asked (the HTTP layer maps it to a problem)."""

    def __init__(self, status: int, slug: str, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.status, self.slug, self.field, self.reason = status, slug, field, reason


class StillRefused(Exception):
    """A replay HQ refused again: nothing was applied; the change stays held with its earlier problem."""

    def __init__(self, refusal):
        super().__init__(str(refusal))
        self.refusal = refusal


def held_for(session, location, change_ids: list) -> dict:
    """The changes among ``change_ids`` this store has in the quarantine already (in whatever status)."""
    if not change_ids:
        return {}
    rows = session.scalars(select(QuarantinedChange).where(
        QuarantinedChange.location_id == location.id, bulk.among(session, QuarantinedChange.change_id, change_ids)))
    return {row.change_id: row for row in rows}


def hold(session, location, refused: list[tuple]) -> list[dict]:
    """Put refused changes ([(change, Refused)]) in the quarantine; their entries for the push's answer."""
    rows = [QuarantinedChange(id=uuid.uuid4(), location_id=location.id, change_id=change["id"], seq=change["seq"],
                              entity=_spelled_out(change["entity"], 0)[:32],
                              entity_id=_spelled_out(str(change["entity_id"]), 0)[:64],
                              op=_spelled_out(change.get("op") or "created", 0)[:16],
                              payload=keepable(change["payload"]), status=HELD, problem=refusal.problem(),
                              received_at=utcnow(), times_received=1, note="")
            for change, refusal in refused]
    session.add_all(rows)
    session.flush()
    return [answer(row) for row in rows]


def keepable(payload):
    """The payload as the quarantine can store it: what PostgreSQL cannot keep in JSON (NUL characters,
    NaN and infinity, absurd nesting) is spelled out as text, so the refusal itself never fails."""
    try:
        storable(payload, "payload")
        return payload
    except InvalidPayload:
        return _spelled_out(payload, 0)


def _spelled_out(value, depth: int):
    if depth > MAX_DEPTH:
        return f"(nested deeper than {MAX_DEPTH} levels: cut here)"
    if isinstance(value, dict):
        return {key.replace("\x00", "\\u0000"): _spelled_out(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_spelled_out(item, depth + 1) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def heard_again(rows: list[QuarantinedChange]) -> list[dict]:
    """Changes sent again after HQ quarantined them: counted, answered as before, never applied here."""
    for row in rows:
        row.times_received += 1
    return [answer(row) for row in rows]


def answer(row: QuarantinedChange) -> dict:
    return {"seq": row.seq, "entity": row.entity, "entity_id": row.entity_id, "quarantine_id": str(row.id),
            "status": row.status, "problem": row.problem}


def listed(session, status: str | None = HELD, store: str | None = None, limit: int = 200):
    statement = select(QuarantinedChange, Location.code).join(Location, Location.id == QuarantinedChange.location_id)
    if status:
        statement = statement.where(QuarantinedChange.status == status)
    if store:
        statement = statement.where(Location.code == store)
    return session.execute(statement.order_by(QuarantinedChange.received_at, QuarantinedChange.seq).limit(limit)).all()


def counts(session) -> dict[str, int]:
    return dict(session.execute(select(QuarantinedChange.status, func.count()).group_by(QuarantinedChange.status))
                .all())


def get(session, item_id, *, for_update: bool = False) -> tuple[QuarantinedChange, Location]:
    statement = select(QuarantinedChange).where(QuarantinedChange.id == item_id)
    row = session.scalars(statement.with_for_update() if for_update else statement).one_or_none()
    if row is None:
        raise QuarantineError(404, "unknown-quarantined-change", "quarantine_id", f"nothing quarantined as {item_id}")
    return row, session.get(Location, row.location_id)


def item_json(row: QuarantinedChange, store: str, *, payload: bool = False) -> dict:
    body = {"id": str(row.id), "store": store, "seq": row.seq, "entity": row.entity, "entity_id": row.entity_id,
            "op": row.op, "status": row.status, "problem": row.problem, "received_at": row.received_at.isoformat(),
            "times_received": row.times_received, "note": row.note,
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
            "resolved_by": str(row.resolved_by) if row.resolved_by else None}
    if payload:
        body["payload"] = row.payload
    return body


def _still_held(row: QuarantinedChange) -> None:
    if row.status != HELD:
        raise QuarantineError(409, "quarantine-resolved", "quarantine_id",
                              f"this change was {row.status} already; nothing to do")


def replay(session, item_id, manager, *, payload: dict | None = None, note: str = "") -> QuarantinedChange:
    """Apply a held change again, as the store sent it or with an operator's ``payload`` fixed; the same
    checks as a push.  Refused again: StillRefused, and the caller rolls back (nothing applied)."""
    row, location = get(session, item_id, for_update=True)
    _still_held(row)
    change = {"id": row.change_id, "seq": row.seq, "entity": row.entity, "entity_id": row.entity_id, "op": row.op,
              "payload": row.payload if payload is None else payload}
    refusal = replication.apply_one(session, location, change)
    if refusal is not None:
        raise StillRefused(refusal)
    row.payload = change["payload"]
    _resolve(row, REPLAYED, manager, note)
    return row


def discard(session, item_id, manager, note: str) -> QuarantinedChange:
    row, _location = get(session, item_id, for_update=True)
    _still_held(row)
    _resolve(row, DISCARDED, manager, note)
    return row


def _resolve(row: QuarantinedChange, status: str, manager, note: str) -> None:
    row.status, row.resolved_at, row.resolved_by, row.note = status, utcnow(), manager.id, note[:500]


def authorise_return(session, sale_id, store: str, manager, reason: str = "") -> CrossStoreReturn:
    """Let ``store`` take back sale ``sale_id`` made at another store (its return then applies, or replays)."""
    location = session.scalars(select(Location).where(Location.code == store)).one_or_none()
    if location is None:
        raise QuarantineError(404, "unknown-store", "store", f"no store {store!r}")
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise QuarantineError(404, "unknown-sale", "sale_id", f"HQ holds no sale {sale_id}")
    if sale.location_id == location.id:
        raise QuarantineError(422, "same-store", "store", f"sale {sale_id} was made at {store}: no authorisation needed")
    found = session.scalars(select(CrossStoreReturn).where(CrossStoreReturn.sale_id == sale.id,
                                                           CrossStoreReturn.location_id == location.id)).one_or_none()
    if found is None:
        found = CrossStoreReturn(id=uuid.uuid4(), sale_id=sale.id, location_id=location.id,
                                 authorised_by=manager.id, authorised_at=utcnow(), reason=reason[:300])
        session.add(found)
        session.flush()
    return found


def note_refused(session, answers: list[dict]) -> int:
    """Store side: remember what HQ quarantined of ours (the push moves past it)."""
    for entry in answers:
        row = session.get(RefusedAtHq, entry["seq"])
        if row is None:
            row = RefusedAtHq(seq=entry["seq"])
            session.add(row)
        row.entity, row.entity_id = entry["entity"], entry["entity_id"]
        row.quarantine_id, row.problem, row.refused_at = entry["quarantine_id"], entry["problem"], utcnow()
    return len(answers)


def refused_summary(session) -> dict:
    """Store side: how many of our changes HQ quarantined, and when the last was."""
    count, last = session.execute(select(func.count(), func.max(RefusedAtHq.refused_at))).one()
    return {"changes": count, "last_at": last.isoformat() if last else None}
