"""Device endpoints: status, fiscal retry, reprint, the receipt picture, the drawer, scanner events."""
from __future__ import annotations

import uuid
from typing import Literal

from flask import Response, current_app, json, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hardware.device import DeviceError
from hardware.receipt_printer import layout_receipt, render_png
from pos.devices import services
from pos.devices.documents import figures_rows, receipt_document, slip_document, slip_labels
from pos.devices.wiring import allowance_notice
from pos.http import BEARER, BEARER_OR_TILL_COOKIE, TILL_COOKIE, database, run, settings, till_for
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
    model_config = ConfigDict(extra="allow")
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
    fiscal_queue: int = Field(description="sales the queue will send by itself")
    fiscal_waiting: int = Field(description="every sale the fiscal printer has not confirmed (stuck ones too)")
    fiscal_oldest: dict | None = Field(default=None, description="the oldest of them, with its last error and "
                                       "ways out (retry, void, handled)")


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


class ResolveIn(Strict):
    action: Literal["void", "handled"] = Field(description="void: this sale gets no fiscal receipt; handled: it was "
                                               "fiscalised outside the queue (give its fiscal_number if known)")
    approval: Approval | None = Field(default=None, description="a manager's login and PIN (required)")
    reason: str = Field(min_length=1, max_length=300, description="why, for the audit log")
    fiscal_number: str | None = Field(default=None, min_length=1, max_length=64,
                                      description="the printer's receipt number, for handled")


class ResolveOut(FiscalOut):
    resolution: str


class DrawerOut(BaseModel):
    opened: bool
    device_fault: Fault | None = None


@api.get("/devices", responses={200: DeviceList})
def list_devices():
    """The caller's till: each configured device with its state, last fault and, for printers, paper."""
    till = current_till()
    station = hub().station(till.terminal)
    from pos.devices.day_reports import unsettled_sales

    queued = len(services.fiscal_backlog(database(), till.terminal.id))
    waiting = unsettled_sales(database(), till.terminal.id)
    items = station.status()
    for item in items:
        if item["name"] == "fiscal":
            item["waiting"] = len(waiting)  # every sale the printer has not confirmed, stuck ones too
        notice = allowance_notice(item.get("offline"))
        if notice is not None:
            item["offline_notice"] = notice
    return json_response({"terminal": till.terminal.code, "items": items, "fiscal_queue": queued,
                          "fiscal_waiting": len(waiting), "fiscal_oldest": waiting[0] if waiting else None})


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


@api.post("/sales/<sale_id>/fiscal/resolve", responses={200: ResolveOut})
def resolve_fiscal(path: SalePath, body: ResolveIn):
    """The way out for a sale stuck in the fiscal queue, with a manager's PIN (audited): void its fiscal
    receipt, or mark it handled; it then no longer blocks the fiscal daily report."""
    if body.action == "void" and body.fiscal_number:
        raise ApiProblem(422, "fiscal-number-not-allowed", "fiscal_number: a voided sale has no fiscal receipt",
                         field="fiscal_number")

    def work(session, till):
        approve(session, body.approval, settings().pin_policy, action=f"fiscal_{body.action}", cashier=till.cashier,
                terminal=till.terminal, subject=str(path.sale_id),
                details={"reason": body.reason, "fiscal_number": body.fiscal_number})
        return services.resolve_stuck_sale(session, till, path.sale_id, body.action, reason=body.reason,
                                           fiscal_number=body.fiscal_number)
    return run(work)


class ReturnPath(BaseModel):
    return_id: uuid.UUID


class ReturnFiscalOut(BaseModel):
    fiscal_status: str
    fiscal_number: str | None
    check_url: str | None
    device_fault: Fault | None = None


@api.post("/returns/<return_id>/fiscal/retry", responses={200: ReturnFiscalOut})
def retry_return_fiscal(path: ReturnPath):
    """Send a return to the PRRO (Ukraine) again as its RETURN receipt; what an earlier attempt left unknown is
    asked of the PRRO first, so it is never fiscalised twice."""
    from pos.devices.prro import fiscalise_return, return_fiscal_state
    from pos.returns.models import Return
    from pos.returns.services import return_json

    till = current_till()
    with database().unit_of_work(read_only=True) as uow:
        returned = uow.session.get(Return, path.return_id)
        if returned is None or returned.location_id != till.location.id:
            raise ApiProblem(404, "unknown-return", f"return_id: no return {path.return_id}", field="return_id")
        body = return_json(returned, till.location.code, till.terminal.code)
        terminal_id = returned.terminal_id
    state = return_fiscal_state(database(), path.return_id)
    if state["fiscal_status"] != "confirmed":
        state = fiscalise_return(database(), hub().station_for(terminal_id), body, terminal_id)
    return json_response(state)


class OfflineOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    state: str = Field(description="online | offline | warning (near a legal offline limit) | refused (at it)")
    receipts_waiting: int
    offline_notice: dict | None = None


@api.post("/devices/fiscal/offline/send", responses={200: OfflineOut})
def send_offline_receipts():
    """Ukraine's PRRO: send what was fiscalised offline now (each receipt once: Checkbox is asked first) and go
    back online if Checkbox and the tax service answer.  Sales do this by themselves; this is for a quiet till."""
    from hardware.device import DeviceError

    till = current_till()
    station = hub().station(till.terminal)
    with station.lock:
        try:
            printer = station.device("fiscal", force=True)
        except DeviceError as error:
            raise ApiProblem(503, "fiscal-device-unavailable", f"fiscal: {error.message} {error.action}",
                             field="fiscal") from None
        if printer is None or not hasattr(printer, "sync_offline"):
            raise ApiProblem(409, "no-offline-fiscal-device", "fiscal: this till's fiscal device has no offline mode",
                             field="fiscal")
        allowance = printer.sync_offline()
    return json_response({**allowance, "offline_notice": allowance_notice(allowance)})


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
                                    language=sale.terminal.language or "en", timezone=hub().timezone,
                                    fiscal_details=services.fiscal_details(database(), path.sale_id))
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


@api.get("/terminals/<code>/events", security=BEARER_OR_TILL_COOKIE)
def terminal_events(path: TerminalPath):
    """Server-sent events for the till's page: ``scan`` (the basket after a serial scanner's code) and
    ``scan_refused``.  EventSource cannot send headers, so the cookie login sets is accepted too (never a
    token in the URL, where access logs would keep it)."""
    if request.cookies.get(TILL_COOKIE) and "Authorization" not in request.headers:
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {request.cookies[TILL_COOKIE]}"
    till = current_till()
    if till.terminal.code != path.code:
        raise ApiProblem(403, "other-terminal", "code: a till may only listen to its own events", field="code")
    events = hub().events
    inbox = events.subscribe(path.code)
    return Response(events.stream(path.code, inbox), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class DevicePath(BaseModel):
    code: str = Field(max_length=32)
    name: str = Field(max_length=16)


class DeviceIn(Strict):
    url: str = Field(max_length=300, description="the device URL (README: Devices); empty for none")
    approval: Approval | None = Field(default=None, description="a manager's login and PIN (required)")
    check: bool = Field(default=True, description="open the device first and keep the URL only if it works")


class DeviceSetOut(BaseModel):
    name: str
    before: str
    url: str
    checked: bool


@api.put("/terminals/<code>/devices/<name>", responses={200: DeviceSetOut})
def set_device(path: DevicePath, body: DeviceIn):
    """Set one of a till's devices (fiscal, printer, display, scanner, scale) by URL: a manager's approval,
    audited; the device is opened first (a fiscal printer's VAT table and clock checked) and the URL kept only
    when that works.  The till reopens its devices on its next request: no restart."""
    from pos.devices.configuration import check_by_connecting, field_for, set_device as keep, terminal_of, validate_url

    field_for(path.name)
    if body.url:
        try:
            validate_url(path.name, body.url)
        except DeviceError as error:
            raise ApiProblem(422, "device-unusable", f"url: {error.message}", field="url", title=error.action,
                             device_fault=error.as_dict()) from None

    def work(session, till, commit: bool):
        terminal = terminal_of(session, till.location.code, path.code)
        approve(session, body.approval, settings().pin_policy, action="device_set", cashier=till.cashier,
                terminal=terminal, subject=f"{path.code} {path.name}",
                details={"name": path.name, "url": body.url, "before": getattr(terminal, field_for(path.name))})
        return (keep(session, terminal, path.name, body.url) if commit else None), terminal

    run(lambda session, till: work(session, till, commit=False) and {}, read_only=True)  # the PIN, before any device
    checked = bool(body.url) and body.check
    if checked:
        with database().unit_of_work(read_only=True) as uow:
            till = till_for(uow.session)
            terminal = terminal_of(uow.session, till.location.code, path.code)
        station = hub().station(terminal)
        try:
            check_by_connecting(terminal, path.name, body.url, country=settings().country.code,
                                expected_vat=settings().country.vat_rates, device_dir=hub().device_dir,
                                allow_real_devices=hub().allow_real_devices,
                                release=lambda: station.drop(path.name))
        except DeviceError as error:
            raise ApiProblem(422, "device-unusable", f"url: {error.message}", field="url", title=error.action,
                             device_fault=error.as_dict()) from None
    return run(lambda session, till: {**work(session, till, commit=True)[0], "checked": checked})


def _read(work):
    with database().unit_of_work(read_only=True) as uow:
        return work(uow.session, till_for(uow.session))
