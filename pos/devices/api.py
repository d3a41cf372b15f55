"""Device endpoints: status, fiscal retry, reprint, the receipt picture, the drawer, scanner events."""
from __future__ import annotations

import uuid

from flask import Response, current_app, json, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hardware.receipt_printer import layout_receipt, render_png
from pos.devices import services
from pos.devices.documents import figures_rows, receipt_document, slip_document, slip_labels
from pos.http import BEARER, BEARER_OR_QUERY_TOKEN, database, run, settings, till_for
from pos.problems import ApiProblem
from pos.schemas import Approval, Strict
from pos.staff.services import approve

api = APIBlueprint("devices", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="devices")], abp_security=BEARER)


def hub():
    return current_app.extensions["pos.devices"]


def current_till():
    """Who is calling, read in its own short transaction (device work happens outside any)."""
    with database().unit_of_work(read_only=True) as uow:
        return till_for(uow.session)


def json_response(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class SalePath(BaseModel):
    sale_id: uuid.UUID


class DayReportPath(BaseModel):
    report_id: uuid.UUID


class TerminalPath(BaseModel):
    code: str = Field(max_length=32)


class Fault(BaseModel):
    code: str
    message: str
    action: str


class DeviceOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    kind: str
    state: str
    error: Fault | None = None


class DeviceList(BaseModel):
    terminal: str
    items: list[DeviceOut]
    fiscal_queue: int


class FiscalOut(BaseModel):
    sale_id: str
    fiscal_status: str
    fiscal_number: str | None
    attempts: int
    device_fault: Fault | None = None


class PrintOut(BaseModel):
    sale_id: str
    kind: str
    printed: bool
    device_fault: Fault | None = None


class FiscalDayReportOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: str = Field(description="confirmed | not_fiscal | refused (a sale is not settled) | failed")
    number: int | str | None = Field(description="the fiscal printer's daily report number")
    date: str | None
    totals_by_vat: dict[str, int]
    device_fault: Fault | None = None


class DayReportFiscalOut(BaseModel):
    id: str
    number: int
    fiscal_daily_report: FiscalDayReportOut


class DrawerIn(Strict):
    approval: Approval | None = Field(default=None, description="a manager's login and PIN (required)")
    reason: str = Field(default="", max_length=300)


class DrawerOut(BaseModel):
    opened: bool
    device_fault: Fault | None = None


@api.get("/devices", responses={200: DeviceList})
def list_devices():
    """The caller's till: each configured device with its state, last fault and, for printers, paper."""
    till = current_till()
    station = hub().station(till.terminal)
    queued = len(services.fiscal_backlog(database(), till.terminal.id))
    return json_response({"terminal": till.terminal.code, "items": station.status(), "fiscal_queue": queued})


@api.post("/sales/<sale_id>/fiscal/retry", responses={200: FiscalOut})
def retry_fiscal(path: SalePath):
    """Send a waiting sale to the fiscal printer again (what an earlier attempt left unknown is settled
    with the device first, so it is never printed twice); earlier waiting sales of the till go first."""
    till = current_till()
    sale = services.load_sale(database(), path.sale_id, till.location.id)
    station = hub().station(sale.terminal)
    outcome = services.FiscalQueue(database(), station).run(include=path.sale_id, force=True)
    state = services.fiscal_state(database(), path.sale_id)
    state["device_fault"] = outcome.get(path.sale_id) or state.pop("last_error", None)
    state.pop("last_error", None)
    return json_response(state)


@api.post("/sales/<sale_id>/receipt/reprint", responses={201: PrintOut})
def reprint(path: SalePath):
    """Print the receipt again: the original if it never came out, else a copy (never a fiscal receipt)."""
    till = current_till()
    sale = services.load_sale(database(), path.sale_id, till.location.id)
    station = hub().station(sale.terminal)
    fault, kind = services.print_receipt(database(), station, path.sale_id, hub().timezone, force=True)
    return json_response({"sale_id": str(path.sale_id), "kind": kind, "printed": fault is None,
                          "device_fault": fault}, 201)


@api.get("/sales/<sale_id>/receipt.png")
def receipt_picture(path: SalePath):
    """What the printer printed for the sale, drawn from the bytes it was sent; a till without a
    receipt printer gets the same layout drawn for the screen."""
    till = current_till()
    sale = services.load_sale(database(), path.sale_id, till.location.id)
    job = services.printed_receipt(database(), path.sale_id)
    if job is not None:
        picture = render_png(job.data, job.profile or None, job.columns)
    elif not sale.terminal.printer_url:
        document = receipt_document(sale.document, location=sale.location, cashier_name=sale.cashier_name,
                                    language=sale.terminal.language or "en", timezone=hub().timezone)
        picture = render_png(layout_receipt(document, profile="TM-T88V"), "TM-T88V")
    else:
        raise ApiProblem(404, "receipt-not-printed",
                         "sale_id: the receipt has not come out of the printer yet; reprint it", field="sale_id")
    return Response(picture, mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})


@api.post("/drawer/open", responses={200: DrawerOut})
def open_drawer(body: DrawerIn):
    """Open the cash drawer without a sale: a manager's approval, written to the audit log."""
    def work(session, till):
        approve(session, body.approval, settings().pin_policy, action="drawer_open", cashier=till.cashier,
                terminal=till.terminal, subject=body.reason or "no sale", details={"reason": body.reason})
        return {"approved": True}
    response = run(work)
    if response.status_code != 200:
        return response
    till = current_till()
    station = hub().station(till.terminal)
    fault = services.kick_drawer(station, reason=body.reason or "no sale", cashier=till.cashier.login, force=True)
    return json_response({"opened": fault is None and station.configured("printer"), "device_fault": fault})


@api.post("/shifts/current/x-report/print", responses={201: PrintOut})
def print_x_report():
    """Print the X report (totals so far) on the till's receipt printer."""
    from pos.shifts.services import x_report

    def work(session, till):
        return x_report(session, till), till
    report, till = _read(work)
    labels = slip_labels(till.terminal.language or "en")
    slip = slip_document("x_report", location=till.location, terminal_code=till.terminal.code,
                         cashier_name=till.cashier.name, language=till.terminal.language or "en",
                         currency=till.location.currency, timezone=hub().timezone, rows=figures_rows(report, labels))
    fault = services.print_slip(database(), hub().station(till.terminal), slip, reference=report["shift"]["id"])
    return json_response({"sale_id": "", "kind": "x_report", "printed": fault is None, "device_fault": fault}, 201)


@api.post("/day-reports/<report_id>/fiscal", responses={200: DayReportFiscalOut})
def retry_fiscal_day_report(path: DayReportPath):
    """Run the fiscal printer's daily report again for the till's latest day report (after the pending sale
    that refused it was settled, or the printer fixed)."""
    from pos.devices.day_reports import retry_for

    till = current_till()
    return json_response(retry_for(database(), hub().station(till.terminal), path.report_id, till.terminal.id))


@api.get("/terminals/<code>/events", security=BEARER_OR_QUERY_TOKEN)
def terminal_events(path: TerminalPath):
    """Server-sent events for the till's page: ``scan`` (the basket after a serial scanner's code) and
    ``scan_refused``.  EventSource cannot send headers, so ``?token=`` is accepted too."""
    if "token" in request.args and "Authorization" not in request.headers:
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {request.args['token']}"
    till = current_till()
    if till.terminal.code != path.code:
        raise ApiProblem(403, "other-terminal", "code: a till may only listen to its own events", field="code")
    events = hub().events
    inbox = events.subscribe(path.code)
    return Response(events.stream(path.code, inbox), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _read(work):
    with database().unit_of_work(read_only=True) as uow:
        return work(uow.session, till_for(uow.session))
