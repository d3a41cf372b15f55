"""The fiscal driver's attempt journal kept in the fiscal_record table.

Each ``save`` is its own short, durable transaction: the driver writes ``sending`` and its
checkpoint *before* it sends a receipt, so after a crash or a lost answer the next attempt
settles with the device instead of printing the receipt twice.  The sale's own
fiscal_status/fiscal_number move in the same transaction, so they never disagree with it."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from pos.db import utcnow
from pos.devices.models import FiscalRecord
from pos.feed.services import record_change
from pos.sales.models import Sale

# what HQ (the back office, the customer's timeline) is told a sale came to on the fiscal device
OUTCOMES = ("confirmed", "not_fiscal", "failed", "voided", "handled")


def record_outcome(session, sale_id, status: str, fiscal_number: str | None) -> None:
    """The sale's fiscal outcome into the change feed, in the transaction that reached it: HQ learns it."""
    record_change(session, "fiscal", sale_id, {"sale_id": str(sale_id), "fiscal_status": status,
                                               "fiscal_number": fiscal_number, "at": utcnow().isoformat()},
                  op="updated")


# the driver's journal states → the queue's statuses
STATUSES = {"sending": "sending", "not_done": "pending", "failed": "failed"}


def ensure_record(db, sale_id, terminal_id) -> FiscalRecord:
    with db.unit_of_work() as uow:
        record = uow.session.scalars(select(FiscalRecord).where(FiscalRecord.sale_id == sale_id)).one_or_none()
        if record is None:
            record = FiscalRecord(sale_id=sale_id, terminal_id=terminal_id, status="pending", state={})
            uow.session.add(record)
            uow.commit()
        return record


def record_fault(db, sale_id, error: dict) -> None:
    """What went wrong last time and what to do, shown to the cashier; the status stays the journal's."""
    with db.unit_of_work() as uow:
        uow.session.execute(update(FiscalRecord).where(FiscalRecord.sale_id == sale_id).values(
            last_error_code=error.get("code", "")[:64], last_error_message=error.get("message", "")[:500],
            last_error_action=error.get("action", "")[:500], updated_at=utcnow()))
        uow.commit()


class DbJournal:
    """``hardware.fiscal.base.AttemptJournal`` on the store database."""

    def __init__(self, db):
        self.db = db

    def load(self, reference: str) -> dict | None:
        with self.db.unit_of_work(read_only=True) as uow:
            state = uow.session.scalar(select(FiscalRecord.state).where(FiscalRecord.sale_id == uuid.UUID(reference)))
        return dict(state) if state else None

    def save(self, reference: str, state: dict) -> None:
        sale_id = uuid.UUID(reference)
        values = {"state": state, "updated_at": utcnow()}
        sale_values = {}
        if state.get("status") == "done":
            result = state.get("result") or {}
            status = "confirmed" if result.get("fiscal", True) else "not_fiscal"
            values.update(status=status, device_receipt_number=result.get("device_receipt_number"),
                          last_error_code="", last_error_message="", last_error_action="")
            sale_values = {"fiscal_status": status, "fiscal_number": result.get("device_receipt_number")}
        else:
            status = STATUSES.get(state.get("status"), "pending")
            values["status"] = status
            sale_values = {"fiscal_status": status}
            if status == "sending":
                values["attempts"] = FiscalRecord.attempts + 1
            error = state.get("error")
            if error:
                values.update(last_error_code=error.get("code", "")[:64],
                              last_error_message=error.get("message", "")[:500],
                              last_error_action=error.get("action", "")[:500])
        with self.db.unit_of_work() as uow:
            session = uow.session
            session.execute(update(FiscalRecord).where(FiscalRecord.sale_id == sale_id).values(**values))
            session.execute(update(Sale).where(Sale.id == sale_id).values(**sale_values))
            if sale_values["fiscal_status"] in OUTCOMES:
                record_outcome(session, sale_id, sale_values["fiscal_status"], sale_values.get("fiscal_number"))
            uow.commit()
