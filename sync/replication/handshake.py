"""The epoch handshake between a store and HQ, both sides.

A store whose database is new or restored introduces its epoch (``POST /api/v1/sync/hello``); HQ records
it and answers with the highest seq and, per terminal, the highest receipt and Z report numbers it holds
for that store.  The store moves its counters and feed above them and only then may sell (see
pos.stores.epochs).  Saying hello again is harmless: HQ answers the same way and the store moves nothing
twice.  HQ also refuses a push naming an epoch it was never introduced to, so the marks always come
before the changes of a new life."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pos.db import utcnow
from pos.sales.models import Sale
from pos.shifts.models import DayReport
from pos.stores import epochs
from pos.stores.models import AppliedChange, StoreEpoch, Terminal

HELLO = "hello"


class EpochRefused(Exception):
    def __init__(self, slug: str, detail: str):
        super().__init__(detail)
        self.slug, self.detail = slug, detail


# ---- HQ ------------------------------------------------------------------------------------------------

def introduce(session, location, epoch_id: uuid.UUID, reason: str) -> dict:
    """HQ: record the store's epoch and tell it what HQ holds, so it continues above."""
    epoch = session.get(StoreEpoch, epoch_id)
    now = utcnow()
    if epoch is None:
        session.add(StoreEpoch(id=epoch_id, location_id=location.id, reason=reason, started_at=now,
                               confirmed_at=now, hq_seq=0))
    elif epoch.location_id != location.id:
        raise EpochRefused("epoch-of-another-store", f"epoch: {epoch_id} belongs to another store")
    seq = session.scalar(select(func.max(AppliedChange.seq)).where(AppliedChange.location_id == location.id)) or 0
    return {"epoch": str(epoch_id), "seq": seq,
            "receipt_numbers": _highest(session, location, Sale.receipt_number, Sale.terminal_id),
            "day_report_numbers": _highest(session, location, DayReport.number, DayReport.terminal_id)}


def _highest(session, location, number, terminal_id) -> dict[str, int]:
    return dict(session.execute(select(Terminal.code, func.max(number)).join(Terminal, Terminal.id == terminal_id)
                                .where(Terminal.location_id == location.id).group_by(Terminal.code)).all())


def check_push_epoch(session, location, epoch_id: uuid.UUID | None) -> None:
    """HQ: a push names the epoch its changes were made in; one HQ never heard of is refused (409) so the
    store says hello first.  Stores from before epochs send none and are taken as they were."""
    if epoch_id is None:
        return
    epoch = session.get(StoreEpoch, epoch_id)
    if epoch is None or epoch.location_id != location.id:
        raise EpochRefused("epoch-unknown", f"epoch: HQ was not introduced to epoch {epoch_id}; "
                                            f"say hello (POST /api/v1/sync/hello) first")


# ---- store ---------------------------------------------------------------------------------------------

def greet(db, client, again: bool = False) -> str | None:
    """Store: introduce the current epoch to HQ unless HQ has answered for it already (``again``: HQ said
    it does not know it, e.g. HQ itself was restored).  Returns a line for the log when something was
    said.  HqUnreachable/HqRefused propagate: the caller records the failure and backs off."""
    with db.unit_of_work() as uow:
        epoch = epochs.ensure_epoch(uow.session)
        epoch_id, reason, confirmed = epoch.id, epoch.reason, epoch.confirmed_at is not None
        uow.commit()
    if confirmed and not again:
        return None
    marks = client.hello(str(epoch_id), reason)
    with db.unit_of_work() as uow:
        moved = epochs.continue_above(uow.session, epoch_id, int(marks["seq"]), marks["receipt_numbers"],
                                      marks["day_report_numbers"])
        uow.commit()
    return (f"epoch {epoch_id} ({reason}) confirmed by HQ; receipt numbers moved on {moved['receipt_numbers']}, "
            f"feed continues after {marks['seq']}")


def epoch_unknown(exc) -> bool:
    """HQ refused a push for an epoch it was never introduced to."""
    body = getattr(exc, "body", None)
    return getattr(exc, "status", None) == 409 and isinstance(body, dict) and \
        str(body.get("type", "")).endswith("/epoch-unknown")


def current_epoch_id(db) -> uuid.UUID | None:
    with db.unit_of_work(read_only=True) as uow:
        epoch = epochs.current_epoch(uow.session)
        return epoch.id if epoch else None
