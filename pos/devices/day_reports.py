"""The fiscal printer's own daily (Z) report, run after the app's day report is committed.

Polish law wants the fiscal printer's daily report at the end of each day; the app's DayReport
(its own Z, numbered per till) is a different document.  The fiscal one runs outside any
transaction, under the till's device lock (so no sale is fiscalised half-way through it), and
only when every sale of the till is settled with the device: the POSNET driver tells "done"
from "not done" for an unanswered receipt by comparing the printer's counters, and a daily
report in between resets them, so an open sale would later need a manual check.

The outcome is kept in the DayReport's ``totals`` under ``fiscal_daily_report`` (no new
table: it is one small fact per report) and returned with the answer.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from flask import Response, current_app, json
from sqlalchemy import select

from hardware.device import DeviceError
from pos.devices.models import FiscalRecord
from pos.devices.services import OPEN_STATUSES, FiscalQueue
from pos.devices.station import Station
from pos.problems import ApiProblem
from pos.sales.models import Sale
from pos.shifts.models import DayReport

log = logging.getLogger("pos.devices")

FISCAL_KEY = "fiscal_daily_report"
SHOWN_PENDING = 5  # enough receipt numbers for the cashier to find them; the count says the rest


def unsettled_sales(db, terminal_id) -> list[dict]:
    """Every sale of the till the fiscal device has not confirmed (data refusals included: those need a person),
    with why it waits and the ways out."""
    with db.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(select(Sale.id, Sale.receipt_number, Sale.fiscal_status,
                                          FiscalRecord.last_error_code, FiscalRecord.last_error_message)
                                   .outerjoin(FiscalRecord, FiscalRecord.sale_id == Sale.id)
                                   .where(Sale.terminal_id == terminal_id, Sale.fiscal_status.in_(OPEN_STATUSES))
                                   .order_by(Sale.receipt_number)).all()
    return [{"sale_id": str(row.id), "receipt_number": row.receipt_number, "fiscal_status": row.fiscal_status,
             "last_error": {"code": row.last_error_code, "message": row.last_error_message}
             if row.last_error_code else None, "ways_out": ways_out(row.id)} for row in rows]


def ways_out(sale_id) -> dict:
    """What can be done about a stuck sale, as API paths (the cashier page's fault panel offers the same)."""
    base = f"/api/v1/sales/{sale_id}/fiscal"
    return {"retry": {"method": "POST", "path": f"{base}/retry"},
            "void": {"method": "POST", "path": f"{base}/resolve", "body": {"action": "void"}, "manager_pin": True},
            "handled": {"method": "POST", "path": f"{base}/resolve", "body": {"action": "handled"},
                        "manager_pin": True}}


def pending_fault(waiting: list[dict]) -> dict:
    numbers = ", ".join(str(sale["receipt_number"]) for sale in waiting[:SHOWN_PENDING])
    more = f" and {len(waiting) - SHOWN_PENDING} more" if len(waiting) > SHOWN_PENDING else ""
    return {"code": "fiscal_sale_pending",
            "message": f"The fiscal daily report was not run: {len(waiting)} sale(s) of this till are not confirmed "
                       f"by the fiscal printer (receipt no. {numbers}{more}).",
            "action": "Resolve each pending sale first: fix the printer and press Retry fiscal on it; or, if it "
                      "cannot be printed, a manager voids its fiscal receipt or marks it handled (manager PIN). "
                      "Then run the fiscal daily report again.",
            "sale_id": waiting[0]["sale_id"], "sales": waiting}


def next_report_number(printer) -> int | None:
    """The number the device's next daily report will get, where the protocol tells it (POSNET)."""
    return printer.last_completed().details.get("daily_report_next")


def fiscal_day_report(db, station: Station, earlier: dict | None = None) -> dict:
    """Settle the till's fiscal queue, then run the device's daily report; the outcome (never raises a DeviceError).

    ``status``: confirmed (``number`` is the fiscal Z number), not_fiscal (no fiscal device), refused (a sale
    is still unsettled: nothing was sent) or failed (the device's fault).  ``earlier`` is a failed attempt's
    outcome: if its report went through and only the answer was lost, it is not run a second time."""
    outcome: dict = {"status": "failed", "number": None, "date": None, "totals_by_vat": {}, "device_fault": None}
    with station.lock:
        try:
            printer = station.device("fiscal", force=True)
            if printer is None or not getattr(printer, "fiscal", True):
                return {**outcome, "status": "not_fiscal"}
            expected = (earlier or {}).get("next_number")
            if expected is not None and (next_report_number(printer) or 0) > expected:
                station.clear("fiscal")
                return {**earlier, "status": "confirmed", "number": expected, "device_fault": None, "recovered": True}
            FiscalQueue(db, station).run(force=True)
            waiting = unsettled_sales(db, station.terminal_id)
            if waiting:
                return {**outcome, "status": "refused", "device_fault": pending_fault(waiting), "pending": waiting}
            completed = printer.last_completed()
            # kept with the outcome before sending: a report whose answer is lost is recovered with them
            outcome.update(next_number=completed.details.get("daily_report_next"), date=dt.date.today().isoformat(),
                           totals_by_vat={k: v for k, v in (completed.details.get("day_totals") or {}).items() if v})
            report = printer.daily_report()
        except DeviceError as error:
            station.record("fiscal", error)
            return {**outcome, "device_fault": error.as_dict()}
        station.clear("fiscal")
    return {**outcome, "status": "confirmed", "number": report.number, "date": report.date.isoformat(),
            "totals_by_vat": dict(report.totals_by_vat)}


def record_outcome(db, report_id, outcome: dict) -> None:
    """On the DayReport itself, in a transaction of its own (the report was committed before)."""
    kept = {key: value for key, value in outcome.items() if key != "pending"}
    with db.unit_of_work() as uow:
        report = uow.session.get(DayReport, report_id)
        report.totals = {**report.totals, FISCAL_KEY: kept}  # a new dict: the JSON column sees the change
        uow.commit()


def run_for(db, station: Station, report_id, earlier: dict | None = None) -> dict:
    try:
        outcome = fiscal_day_report(db, station, earlier)
    except Exception:  # a driver bug must not turn a committed day report into an error page
        log.exception("the fiscal daily report of %s failed", station.code)
        outcome = {"status": "failed", "number": None, "date": None, "totals_by_vat": {},
                   "device_fault": {"code": "device_software", "message": "The fiscal daily report could not be run.",
                                    "action": "Check the fiscal printer, then run the fiscal daily report again; "
                                              "call support if it repeats."}}
    record_outcome(db, report_id, outcome)
    return outcome


def with_outcome(body: dict, outcome: dict, status: int) -> Response:
    """The answer with the fiscal outcome; ``device_fault`` is the fiscal one before the slip printer's."""
    faults = dict(body.get("device_faults") or {})
    if body.get("device_fault") and not faults:
        faults["printer"] = body["device_fault"]
    if outcome.get("device_fault"):
        faults = {"fiscal": outcome["device_fault"], **faults}
    body = {**body, FISCAL_KEY: outcome}
    if faults:
        body["device_fault"], body["device_faults"] = next(iter(faults.values())), faults
    return Response(json.dumps(body), status=status, mimetype="application/json")


def fiscal_report_after(response: Response) -> Response:
    """``POST /day-reports``' committed answer (the app's Z, its slip printed): run the fiscal daily report."""
    if response.status_code != 201:
        return response
    from pos.devices.api import current_till

    hub = current_app.extensions["pos.devices"]
    body = response.get_json()
    station = hub.station(current_till().terminal)
    return with_outcome(body, run_for(hub.db, station, uuid.UUID(body["id"])), 201)


def retry_for(db, station: Station, report_id, terminal_id) -> dict:
    """Run the fiscal daily report again for the till's latest day report, unless it is confirmed already."""
    with db.unit_of_work(read_only=True) as uow:
        report = uow.session.get(DayReport, report_id)
        if report is None or report.terminal_id != terminal_id:
            raise ApiProblem(404, "unknown-day-report", f"report_id: no day report {report_id} on this till",
                             field="report_id")
        newer = uow.session.scalar(select(DayReport.id).where(DayReport.terminal_id == terminal_id,
                                                              DayReport.number > report.number).limit(1))
        earlier = report.totals.get(FISCAL_KEY) or {}
        done = earlier.get("status") in ("confirmed", "not_fiscal")
        body = {"id": str(report.id), "number": report.number}
    if done:
        raise ApiProblem(409, "fiscal-report-done", "report_id: the fiscal daily report of this day is done",
                         field="report_id")
    if newer is not None:
        raise ApiProblem(409, "day-report-superseded",
                         "report_id: a later day report exists; its fiscal daily report covers this day",
                         field="report_id")
    return {**body, FISCAL_KEY: run_for(db, station, report_id, earlier)}
