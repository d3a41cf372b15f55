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
from sync.replication.bulk import among

HELLO = "hello"


class EpochRefused(Exception):
    def __init__(self, slug: str, detail: str):
        super().__init__(detail)
        self.slug, self.detail = slug, detail


# ---- HQ ------------------------------------------------------------------------------------------------

def introduce(session, location, epoch_id: uuid.UUID, reason: str) -> dict:
    """HQ: record the store's epoch and tell it what HQ holds, so it continues above.  (At HQ an epoch's
    ``hq_seq`` is the highest seq received in it.)"""
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


def check_not_rewound(session, location, epoch_id: uuid.UUID | None, changes: list[dict]) -> None:
    """HQ: within one epoch seqs only grow.  A change HQ does not know, at a seq this epoch has used already,
    means the store's database went back (restored without `flask store restore-check`): refused (409)
    before anything is applied, so the store starts a new epoch and learns HQ's marks before it goes on.
    The caller holds the store's contact lock."""
    if epoch_id is None or not changes:
        return
    epoch = session.get(StoreEpoch, epoch_id)
    older = {change["id"]: change["seq"] for change in changes if change["seq"] <= epoch.hq_seq}
    if older:
        known = set(session.scalars(select(AppliedChange.change_id).where(
            AppliedChange.location_id == location.id, among(session, AppliedChange.change_id, list(older)))))
        unknown = sorted(seq for change_id, seq in older.items() if change_id not in known)
        if unknown:
            raise EpochRefused("store-rewound", f"changes: seq {unknown[0]} of epoch {epoch_id} was used before "
                                                f"for another change; the store's database went back (restored?) "
                                                f"and must start a new epoch")
    epoch.hq_seq = max(epoch.hq_seq, max(change["seq"] for change in changes))


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


def refused_epoch(exc) -> str | None:
    """Why HQ refused a push for its epoch: ``epoch-unknown`` (never introduced), ``store-rewound`` (this
    database went back), else None."""
    body = getattr(exc, "body", None)
    if getattr(exc, "status", None) != 409 or not isinstance(body, dict):
        return None
    slug = str(body.get("type", "")).rsplit("/", 1)[-1]
    return slug if slug in ("epoch-unknown", "store-rewound") else None


def start_again(db, client, why: str) -> str | None:
    """Store: HQ refused our epoch.  Unknown to HQ: introduce it again.  Rewound: this database is a restored
    copy nobody announced; a new epoch starts (the tills stop until HQ has answered) and HQ is told at once."""
    if why == "store-rewound":
        with db.unit_of_work() as uow:
            epochs.start_epoch(uow.session, "restored")
            uow.commit()
    return greet(db, client, again=True)


def current_epoch_id(db) -> uuid.UUID | None:
    with db.unit_of_work(read_only=True) as uow:
        epoch = epochs.current_epoch(uow.session)
        return epoch.id if epoch else None
