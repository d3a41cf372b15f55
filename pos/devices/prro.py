"""Ukraine's PRRO (Checkbox) at the till: the law's offline limits checked before a sale is taken.

A PRRO may fiscalise offline for at most 36 hours in one session and 168 hours in a calendar month (the
driver counts them, see hardware/fiscal/checkbox/offline.py).  At the limit a paid sale could not be
fiscalised, so the till refuses the checkout before payment instead of leaving a sale stuck; near the
limit the cashier is warned with each sale and in the device list.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from hardware.device import DeviceError
from hardware.fiscal import FiscalReceipt, Payment, fiscalise_once
from pos.db import utcnow
from pos.devices.documents import _PAYMENT_METHODS as PAYMENT_METHODS, _fiscal_line as fiscal_line
from pos.devices.journal import STATUSES
from pos.devices.models import FiscalReturnRecord
from pos.devices.services import load_sale
from pos.devices.station import Station


class FiscalSalesStopped(Exception):
    """The fiscal device may not fiscalise now (an offline limit is reached): no sale may be taken."""

    def __init__(self, allowance: dict):
        super().__init__(f"offline limit reached ({allowance.get('limit')})")
        self.allowance = allowance


def fiscal_allowance(station: Station) -> dict | None:
    """What the till's fiscal device still may do offline; None when it has no such limits or is not open.

    Read from the device's own book: no network, so a checkout never waits on it."""
    device = station.devices.get("fiscal")
    if device is None:
        return None
    return device.offline_allowance()


def check_before_sale(station: Station) -> dict | None:
    """The allowance (for a warning), or FiscalSalesStopped when a limit is reached."""
    allowance = fiscal_allowance(station)
    if allowance is not None and allowance["state"] == "refused":
        raise FiscalSalesStopped(allowance)
    return allowance


def is_prro(url: str) -> bool:
    """A fiscal address of a PRRO (Checkbox, or the demo's Checkbox emulator), known without opening it."""
    return url.startswith("checkbox+") or url.startswith("emulator://checkbox")


def keep_up(station: Station) -> dict | None:
    """The timer's turn for one till on a PRRO (opened here if it is not yet): back online by itself with the
    offline receipts sent once, the offline codes topped up.  None for other fiscal devices."""
    if not is_prro(station.urls.get("fiscal", "")):
        return None
    try:
        device = station.device("fiscal")
    except DeviceError:
        return None  # recorded for the status bar; tried again after a pause
    if device is None or not hasattr(device, "upkeep"):
        return None
    allowance = device.upkeep()
    if allowance["state"] == "online" and (station.faults.get("fiscal") or {}).get("code") in BACK_ONLINE_CLEARS:
        station.clear("fiscal")
    return allowance


BACK_ONLINE_CLEARS = ("checkbox_unreachable", "tax_service_unreachable", "offline_limit_reached",
                      "offline_codes_exhausted")


# returns: a PRRO fiscalises each return as a RETURN receipt of its own -----------------------------------

def records_returns(station: Station) -> bool:
    """True when the till's fiscal device takes returns as receipts of their own (opens it if needed)."""
    try:
        device = station.device("fiscal")
    except DeviceError:
        return is_prro(station.urls.get("fiscal", ""))  # it does, once it can be opened
    return bool(getattr(device, "records_returns", False))


def return_receipt(sale: dict, returned: dict, cashier_name: str) -> FiscalReceipt:
    """The return as the PRRO records it: the returned quantities at the sale's prices, the refunds as payments,
    referring to the sale's own receipt."""
    sale_lines = {line["id"]: line for line in sale["lines"]}
    lines = []
    for returned_line in returned["lines"]:
        line = sale_lines[returned_line["sale_line_id"]]
        quantity, price = returned_line["quantity"], line["unit_price"]
        gross = (quantity * price + 500) // 1000 if line["unit"] == "kg" else quantity * price
        lines.append(fiscal_line({**line, "quantity": quantity, "gross": gross, "amount": returned_line["amount"],
                                  "discount": gross - returned_line["amount"]}))
    payments = tuple(Payment(PAYMENT_METHODS.get(r["method"], "other"), r["amount"])
                     for r in returned["refunds"] if r["amount"] > 0)
    return FiscalReceipt(reference=returned["id"], lines=tuple(lines), total=returned["total"], payments=payments,
                         currency=returned["currency"], cashier=cashier_name, is_return=True,
                         related_reference=returned["sale_id"])


class ReturnJournal:
    """``hardware.fiscal.base.AttemptJournal`` on fiscal_return_record, each save durable before it returns."""

    def __init__(self, db):
        self.db = db

    def load(self, reference: str) -> dict | None:
        with self.db.unit_of_work(read_only=True) as uow:
            state = uow.session.scalar(select(FiscalReturnRecord.state)
                                       .where(FiscalReturnRecord.return_id == uuid.UUID(reference)))
        return dict(state) if state else None

    def save(self, reference: str, state: dict) -> None:
        result = state.get("result") or {}
        error = state.get("error") or {}
        values = {"state": state, "updated_at": utcnow(),
                  "status": "confirmed" if state.get("status") == "done" else STATUSES.get(state.get("status"),
                                                                                          "pending"),
                  "device_receipt_number": result.get("device_receipt_number")}
        if state.get("status") == "sending":
            values["attempts"] = FiscalReturnRecord.attempts + 1
        if error or state.get("status") == "done":
            values.update(last_error_code=error.get("code", "")[:64], last_error_message=error.get("message", "")[:500],
                          last_error_action=error.get("action", "")[:500])
        with self.db.unit_of_work() as uow:
            uow.session.execute(update(FiscalReturnRecord)
                                .where(FiscalReturnRecord.return_id == uuid.UUID(reference)).values(**values))
            uow.commit()


def fiscalise_return(db, station: Station, returned: dict, terminal_id) -> dict:
    """Fiscalise a committed return once (a retry asks the PRRO first); its fiscal outcome, never raises."""
    return_id = uuid.UUID(returned["id"])
    with db.unit_of_work() as uow:
        if uow.session.scalars(select(FiscalReturnRecord).where(FiscalReturnRecord.return_id == return_id)).first() \
                is None:
            uow.session.add(FiscalReturnRecord(return_id=return_id, terminal_id=terminal_id, state={}))
            uow.commit()
    fault = None
    with station.lock:
        try:
            sale = load_sale(db, uuid.UUID(returned["sale_id"]))
            receipt = return_receipt(sale.document, returned, sale.cashier_name)
            fiscalise_once(station.device("fiscal", force=True), receipt, ReturnJournal(db))
        except DeviceError as error:
            fault = error.as_dict()
            station.record("fiscal", error)
            ReturnJournal(db).save(returned["id"], {**(ReturnJournal(db).load(returned["id"]) or {}),
                                                    "error": fault})
    return return_fiscal_state(db, return_id, fault)


def return_fiscal_state(db, return_id, fault: dict | None = None) -> dict:
    with db.unit_of_work(read_only=True) as uow:
        record = uow.session.scalars(select(FiscalReturnRecord)
                                     .where(FiscalReturnRecord.return_id == return_id)).first()
    if record is None:
        return {"fiscal_status": "not_fiscal", "fiscal_number": None, "check_url": None, "device_fault": None}
    details = ((record.state or {}).get("result") or {}).get("details") or {}
    if fault is None and record.status != "confirmed" and record.last_error_code:
        fault = {"code": record.last_error_code, "message": record.last_error_message,
                 "action": record.last_error_action}
    return {"fiscal_status": record.status, "fiscal_number": record.device_receipt_number,
            "check_url": details.get("check_url"), "device_fault": fault}
