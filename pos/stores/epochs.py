"""The store's epoch: one life of its database, and whether its tills may sell in it.

A restored backup (or a reinstalled store) has an older receipt counter and feed than HQ already holds.
So a new epoch starts when the database is created and whenever an operator says it was restored
(`flask store restore-check`), and the tills refuse to sell until HQ has answered for it (receipt numbers
and the feed move above what HQ holds) or a manager, with a PIN, decides the store must sell offline.
Plain functions over a session; nothing here knows HTTP."""
from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, text, update

from pos.db import utcnow
from pos.feed.models import Change
from pos.ids import new_id
from pos.stores.models import StoreEpoch, Terminal


# The feed entry that only moves the store's seq on; push never sends it.
BOOKMARK = "epoch"


class SellingNotAllowedYet(Exception):
    """This store's database started a new life and HQ has not answered for it yet."""

    def __init__(self, epoch: StoreEpoch | None):
        super().__init__("this store's database is new or restored and HQ has not confirmed it yet")
        self.epoch = epoch


def current_epoch(session) -> StoreEpoch | None:
    return session.scalars(select(StoreEpoch).where(StoreEpoch.location_id.is_(None))
                           .order_by(StoreEpoch.started_at.desc()).limit(1)).one_or_none()


def start_epoch(session, reason: str) -> StoreEpoch:
    epoch = StoreEpoch(reason=reason, started_at=utcnow(), hq_seq=0)
    session.add(epoch)
    session.flush()
    return epoch


def ensure_epoch(session) -> StoreEpoch:
    return current_epoch(session) or start_epoch(session, "created")


def may_sell(epoch: StoreEpoch | None) -> bool:
    return epoch is not None and (epoch.confirmed_at is not None or epoch.offline_at is not None)


def check_may_sell(session) -> None:
    epoch = current_epoch(session)
    if not may_sell(epoch):
        raise SellingNotAllowedYet(epoch)


def allow_offline(session, epoch: StoreEpoch, manager_id: uuid.UUID) -> None:
    """A manager's decision (the caller has checked the PIN and written the audit entry)."""
    epoch.offline_at = utcnow()
    epoch.offline_manager_id = manager_id


def continue_above(session, epoch_id: uuid.UUID, hq_seq: int, receipt_numbers: dict[str, int],
                   day_report_numbers: dict[str, int]) -> dict:
    """HQ's answer for this epoch: every terminal's counters and the feed continue above what HQ holds,
    so no receipt number or seq of the lost life is handed out again.  Returns what moved."""
    epoch = session.get(StoreEpoch, epoch_id)
    moved = {"receipt_numbers": {}, "day_report_numbers": {}, "seq": None}
    for code, number in receipt_numbers.items():
        if session.execute(update(Terminal).where(Terminal.code == code, Terminal.last_receipt_number < number)
                           .values(last_receipt_number=number)).rowcount:
            moved["receipt_numbers"][code] = number
    for code, number in day_report_numbers.items():
        if session.execute(update(Terminal).where(Terminal.code == code, Terminal.last_day_report_number < number)
                           .values(last_day_report_number=number)).rowcount:
            moved["day_report_numbers"][code] = number
    if (session.scalar(select(func.max(Change.seq))) or 0) < hq_seq:
        _feed_continues_after(session, epoch_id, hq_seq)
        moved["seq"] = hq_seq
    if epoch is not None and epoch.confirmed_at is None:
        epoch.confirmed_at, epoch.hq_seq = utcnow(), hq_seq
    return moved


def _feed_continues_after(session, epoch_id: uuid.UUID, seq: int) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT setval(pg_get_serial_sequence('change', 'seq'), :seq)"), {"seq": seq})
        return
    # SQLite numbers the next row after the highest one present: a bookmark at HQ's seq moves the feed
    # on.  It is the store's own note, never sent (push skips it).
    session.execute(insert(Change).values(seq=seq, id=new_id(), entity=BOOKMARK, entity_id=str(epoch_id),
                                          op="continued", payload={"hq_seq": seq}, created_at=utcnow()))
