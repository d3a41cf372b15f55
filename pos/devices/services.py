"""After a sale is committed: fiscalise it exactly once, print its receipt, open the drawer, show the total.

Nothing here runs inside the sale's transaction, and nothing here can undo a sale: every
device fault becomes a ``device_fault`` the cashier sees ({code, message, action}) and the
sale waits in the fiscal queue (fiscal_record) until a retry, the next sale on that till or
the next start-up settles it.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from hardware.device import DeviceError
from hardware.fiscal import fiscalise_once
from hardware.receipt_printer import layout_receipt, layout_slip
from pos.devices.documents import fiscal_receipt, only_gift_cards, receipt_document
from pos.devices.journal import DbJournal, ensure_record, record_fault, record_outcome
from pos.devices.models import FiscalRecord, PrintJob
from pos.devices.station import REOPEN_AFTER_SECONDS, Station
from pos.problems import ApiProblem
from pos.sales.models import BasketLine, Sale
from pos.sales.services import get_sale, sale_document
from pos.staff.models import Cashier
from pos.stores.models import Location, Terminal

log = logging.getLogger("pos.devices")

# Refusals about the sale's data, not the device's state: retrying on every sale cannot help, so such a
# sale leaves the automatic queue (the explicit retry still tries it) instead of blocking the till.
DATA_REFUSALS = ("not_fiscalisable", "bad_price", "bad_quantity", "line_total_mismatch", "payment_mismatch",
                 "zero_receipt", "bad_line", "amount_too_large", "currency_mismatch", "protocol_error",
                 "total_mismatch", "discount_mismatch", "deposit_mismatch", "verification_failed",
                 "name_not_printable", "bad_reference")
OPEN_STATUSES = ("pending", "sending", "failed")
# the ways out of a stuck sale a manager can take (with a PIN, audited) besides Retry
RESOLUTIONS = {"void": "voided", "handled": "handled"}
BACKLOG_BATCH = 50


@dataclass
class SaleForDevices:
    document: dict
    location: Location
    terminal: Terminal
    cashier_name: str
    # each line's own discount (the rest of the sale line's discount is its share of the basket's)
    line_discounts: list[int] = field(default_factory=list)


def load_sale(db, sale_id, location_id=None) -> SaleForDevices:
    with db.unit_of_work(read_only=True) as uow:
        session = uow.session
        sale = get_sale(session, sale_id)
        if location_id is not None and sale.location_id != location_id:
            raise ApiProblem(404, "unknown-sale", f"sale_id: no sale {sale_id}", field="sale_id")
        document = sale_document(session, sale)
        location = session.get(Location, sale.location_id)
        terminal = session.get(Terminal, sale.terminal_id)
        cashier = session.get(Cashier, sale.cashier_id)
        line_discounts = list(session.scalars(select(BasketLine.discount).where(BasketLine.basket_id == sale.basket_id)
                                              .order_by(BasketLine.position)))
        # a coupon's share is the line's own discount too: the printer gets it on the line (pos.coupons)
        coupons = [line.coupon_discount or 0 for line in sale.lines]
        if len(coupons) == len(line_discounts):
            line_discounts = [own + coupon for own, coupon in zip(line_discounts, coupons)]
    return SaleForDevices(document, location, terminal, cashier.name if cashier else "", line_discounts)


def fiscal_backlog(db, terminal_id, limit: int = BACKLOG_BATCH) -> list:
    """This till's sales not yet settled with the fiscal device, oldest receipt first."""
    with db.unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(
            select(Sale.id).outerjoin(FiscalRecord, FiscalRecord.sale_id == Sale.id)
            .where(Sale.terminal_id == terminal_id, Sale.fiscal_status.in_(OPEN_STATUSES),
                   or_(FiscalRecord.id.is_(None), FiscalRecord.status != "failed",
                       FiscalRecord.last_error_code.not_in(DATA_REFUSALS)))
            .order_by(Sale.receipt_number).limit(limit)))


def fiscal_state(db, sale_id) -> dict:
    with db.unit_of_work(read_only=True) as uow:
        sale = uow.session.get(Sale, sale_id)
        record = uow.session.scalars(select(FiscalRecord).where(FiscalRecord.sale_id == sale_id)).one_or_none()
        state = {"sale_id": str(sale_id), "fiscal_status": sale.fiscal_status, "fiscal_number": sale.fiscal_number,
                 "attempts": record.attempts if record else 0, "last_error": None}
        if record is not None and record.last_error_code and sale.fiscal_status in OPEN_STATUSES:
            state["last_error"] = {"code": record.last_error_code, "message": record.last_error_message,
                                   "action": record.last_error_action}
    return state


class FiscalQueue:
    """One till's fiscal queue: receipts go to the device in the order they were sold."""

    def __init__(self, db, station: Station):
        self.db = db
        self.station = station

    def run(self, include=None, *, force: bool = False) -> dict:
        """Fiscalise the backlog, then ``include``; stop at the first fault (later sales keep waiting
        with that fault, so the device never sees them out of order).  Returns sale id → fault or None."""
        outcome: dict = {}
        with self.station.lock:
            queue = fiscal_backlog(self.db, self.station.terminal_id)
            if include is not None and include not in queue:
                queue.append(include)
            blocking: dict | None = None
            if not force and time.monotonic() < self.station.fiscal_quiet_until:
                # an answer lost moments ago: asking again would make this customer wait the settle timeout
                blocking = self.station.faults.get("fiscal")
            for sale_id in queue:
                if blocking is not None:
                    ensure_record(self.db, sale_id, self.station.terminal_id)
                    record_fault(self.db, sale_id, blocking)
                    outcome[sale_id] = blocking
                    continue
                try:
                    self.fiscalise(sale_id, force=force)
                except DeviceError as error:
                    blocking = error.as_dict()
                    outcome[sale_id] = blocking
                else:
                    outcome[sale_id] = None
        return outcome

    def fiscalise(self, sale_id, *, force: bool = False) -> None:
        sale = load_sale(self.db, sale_id)
        if sale.document["fiscal_status"] not in OPEN_STATUSES:
            return
        ensure_record(self.db, sale_id, self.station.terminal_id)
        try:
            printer = self.station.device("fiscal", force=force)
            if self.station.fiscal_block is not None and force:
                self.station.check_fiscal()  # the technician may have fixed the VAT table or clock
            if self.station.fiscal_block is not None:
                raise self.station.fiscal_block
            if force and printer is not None:
                printer.wake()  # asked by a person (or the reconnect watcher): try the device now
            if only_gift_cards(sale.document):
                DbJournal(self.db).save(str(sale_id), {"status": "done", "result": {"fiscal": False}})
                return
            receipt = fiscal_receipt(sale.document, sale.cashier_name, sale.line_discounts)
            fiscalise_once(printer, receipt, DbJournal(self.db))
        except Exception as exc:
            error = exc if isinstance(exc, DeviceError) else _software_fault(exc, self.station.code)
            record_fault(self.db, sale_id, error.as_dict())
            self.station.record("fiscal", error)
            if error.ambiguous:
                self.station.fiscal_quiet_until = time.monotonic() + REOPEN_AFTER_SECONDS
            if error.code not in DATA_REFUSALS:
                FiscalWatcher.start(self.db, self.station)  # reconnects and prints the queue by itself
            raise error from (None if exc is error else exc)
        self.station.fiscal_quiet_until = 0.0
        self.station.clear("fiscal")

    def settle(self) -> dict:
        """Start-up: decide what an earlier run left half-done (the driver asks the device first)."""
        return self.run(force=True)


def resolve_stuck_sale(session, till, sale_id, action: str, *, reason: str, fiscal_number: str | None = None) -> dict:
    """A manager's way out for a sale the fiscal printer will not take (the approval is checked and
    audited by the caller, in this transaction): ``void`` — this sale gets no fiscal receipt (e.g. the
    customer was refunded); ``handled`` — it was fiscalised outside the queue (e.g. found in the
    printer's memory after a power cut, or rung up on the printer itself), with that receipt's
    number if known.  Either way it leaves the queue and no longer blocks the fiscal daily report."""
    sale = session.get(Sale, sale_id)
    if sale is None or sale.location_id != till.location.id:
        raise ApiProblem(404, "unknown-sale", f"sale_id: no sale {sale_id}", field="sale_id")
    if sale.fiscal_status not in OPEN_STATUSES:
        raise ApiProblem(409, "fiscal-sale-settled", f"sale_id: the sale's fiscal status is {sale.fiscal_status}; "
                         "only a sale waiting for the fiscal printer can be voided or marked handled", field="sale_id")
    status = RESOLUTIONS[action]
    record = session.scalars(select(FiscalRecord).where(FiscalRecord.sale_id == sale.id)).one_or_none()
    if record is None:
        record = FiscalRecord(sale_id=sale.id, terminal_id=sale.terminal_id, state={})
        session.add(record)
    earlier = {"status": record.status, "code": record.last_error_code, "message": record.last_error_message}
    record.status = status
    record.state = {**(record.state or {}), "status": status, "resolution": action, "reason": reason,
                    "before": earlier}
    record.device_receipt_number = fiscal_number if action == "handled" else None
    record.last_error_code = record.last_error_message = record.last_error_action = ""
    sale.fiscal_status = status
    sale.fiscal_number = fiscal_number if action == "handled" else None
    session.flush()
    record_outcome(session, sale.id, status, sale.fiscal_number)
    return {"sale_id": str(sale.id), "fiscal_status": status, "fiscal_number": sale.fiscal_number,
            "attempts": record.attempts or 0, "device_fault": None, "resolution": action, "before": earlier}


def _software_fault(exc: Exception, code: str) -> DeviceError:
    """A driver bug must not turn a retry into an error page: it becomes a fault the cashier sees."""
    log.error("the fiscal printer of %s failed", code, exc_info=exc)
    return DeviceError("device_software", f"The fiscal printer could not be driven ({type(exc).__name__}).",
                       "Press Retry; if it repeats, a manager can void or mark the sale handled, and call support.")


class FiscalWatcher:
    """Brings a lost fiscal printer back without anyone pressing anything: while the till has sales
    waiting, the queue is tried again after 1 s, 2 s, 4 s … (at most ``station.reconnect_max``), and
    printed in order, each exactly once (the journal settles what a lost answer left open), as soon
    as the printer answers.  One watcher per till; it ends when nothing waits or the till closes."""

    FIRST_PAUSE = 1.0

    @classmethod
    def start(cls, db, station: Station) -> None:
        with station.watch_lock:
            if station.watcher is not None and station.watcher.is_alive():
                return
            station.watcher = threading.Thread(target=cls(db, station).loop, daemon=True,
                                               name=f"fiscal reconnect {station.code}")
            station.watcher.start()

    def __init__(self, db, station: Station):
        self.db, self.station = db, station

    def loop(self) -> None:
        pause = self.FIRST_PAUSE
        while not self.station.closed.wait(pause):
            try:
                if not fiscal_backlog(self.db, self.station.terminal_id, limit=1):
                    return
                printer = self.station.devices.get("fiscal")
                if printer is not None and not printer.probe():
                    # still gone: asked without the till's lock, so checkouts never wait behind the watcher
                    pause = min(pause * 2, self.station.reconnect_max)
                    continue
                outcome = FiscalQueue(self.db, self.station).run(force=True)
            except Exception:  # the database went away for a moment: try again later
                log.exception("the fiscal reconnect of %s failed", self.station.code)
                outcome = {None: "error"}
            if not any(outcome.values()):
                pause = self.FIRST_PAUSE  # that batch went out; the next turn looks for more
                continue
            pause = min(pause * 2, self.station.reconnect_max)


# printing -----------------------------------------------------------------------------------------------

def _store_job(db, station: Station, printer, data: bytes, kind: str, *, sale_id=None, reference: str = "",
               fault: dict | None) -> None:
    with db.unit_of_work() as uow:
        uow.session.add(PrintJob(terminal_id=station.terminal_id, sale_id=sale_id, kind=kind, reference=reference,
                                 data=data, profile=printer.profile, columns=printer.columns, printed=fault is None,
                                 error_code=(fault or {}).get("code", "")))
        uow.commit()


def send(db, station: Station, data_for, kind: str, *, sale_id=None, reference: str = "",
         force: bool = False) -> dict | None:
    """Lay out with this printer's profile (``data_for(printer)``), send, keep the bytes; the fault or None."""
    with station.lock:
        try:
            printer = station.device("printer", force=force)
        except DeviceError as error:
            return error.as_dict()
        if printer is None:
            return None
        data = data_for(printer)
        try:
            printer.send_job(data)
        except DeviceError as error:
            station.record("printer", error)
            fault = error.as_dict()
        else:
            station.clear("printer")
            fault = None
        _store_job(db, station, printer, data, kind, sale_id=sale_id, reference=reference, fault=fault)
        return fault


def printed_receipt(db, sale_id) -> PrintJob | None:
    with db.unit_of_work(read_only=True) as uow:
        return uow.session.scalars(select(PrintJob).where(PrintJob.sale_id == sale_id, PrintJob.printed.is_(True),
                                                          PrintJob.kind.in_(("receipt", "receipt_copy")))
                                   .order_by(PrintJob.created_at.desc()).limit(1)).first()


def fiscal_details(db, sale_id) -> dict:
    """What the fiscal device reported for the sale beyond its number (e.g. a PRRO's check link)."""
    with db.unit_of_work(read_only=True) as uow:
        state = uow.session.scalar(select(FiscalRecord.state).where(FiscalRecord.sale_id == sale_id))
    return ((state or {}).get("result") or {}).get("details") or {}


def print_receipt(db, station: Station, sale_id, timezone: str, *, force: bool = False) -> tuple[dict | None, str]:
    """The receipt, or a copy (marked COPY and NON-FISCAL) once one has come out.  (fault, kind)."""
    sale = load_sale(db, sale_id)
    copy = printed_receipt(db, sale_id) is not None
    document = receipt_document(sale.document, location=sale.location, cashier_name=sale.cashier_name,
                                language=sale.terminal.language or "en", timezone=timezone, copy=copy,
                                fiscal_details=fiscal_details(db, sale_id))
    kind = "receipt_copy" if copy else "receipt"

    def layout(printer):
        return layout_receipt(document, profile=printer.profile, columns=printer.columns, codes=printer.codes,
                              qr_mode=printer.qr_mode)
    return send(db, station, layout, kind, sale_id=sale_id, reference=str(sale.document["receipt_number"]),
                force=force), kind


def print_slip(db, station: Station, slip: dict, *, reference: str = "") -> dict | None:
    def layout(printer):
        return layout_slip(slip, profile=printer.profile, columns=printer.columns)
    return send(db, station, layout, slip["kind"], reference=reference)


def kick_drawer(station: Station, *, reason: str, cashier: str, force: bool = False) -> dict | None:
    with station.lock:
        try:
            printer = station.device("printer", force=force)
            if printer is None:
                return None
            printer.kick_drawer(reason=reason, cashier=cashier)
        except DeviceError as error:
            station.record("printer", error)
            return error.as_dict()
    return None


# the customer display (never worth a failed request) -------------------------------------------------------

def show_on_display(station: Station, show) -> None:
    """``show(display)``; a fault is only recorded for the status bar."""
    try:
        display = station.device("display")
        if display is None:
            return
        show(display)
    except DeviceError as error:
        station.record("display", error)
    except Exception:  # the display is a courtesy: a bug there must not fail a scan
        log.exception("customer display of %s failed", station.code)
    else:
        station.clear("display")


def show_item_and_total(display, basket: dict) -> None:
    from hardware.receipt_printer.labels import label
    from hardware.receipt_printer.money import format_money

    if not basket.get("lines"):
        return
    line = basket["lines"][-1]
    currency, width = basket["currency"], display.columns
    amount = format_money(line["amount"], currency, display.language)
    total = format_money(basket["total"], currency, display.language)
    top = line["name"][: width - len(amount) - 1].ljust(width - len(amount)) + amount
    words = label(display.language, "total")
    display.show(top, words[: width - len(total) - 1].ljust(width - len(total)) + total)


# after checkout ------------------------------------------------------------------------------------------

def after_checkout(db, station: Station, sale: dict, timezone: str) -> dict:
    """Fiscalise, print, kick the drawer, show the change; the sale document with the outcome.

    ``device_fault`` is the first fault the cashier must act on (fiscal before printer before drawer);
    ``device_faults`` names each device's."""
    faults: dict = {}
    with station.lock:
        outcome = FiscalQueue(db, station).run(include=_uuid(sale["id"]))
        if outcome.get(_uuid(sale["id"])):
            faults["fiscal"] = outcome[_uuid(sale["id"])]
        fault, _ = print_receipt(db, station, _uuid(sale["id"]), timezone)
        if fault:
            faults["printer"] = fault
        if any(p["method"] == "cash" for p in sale["payments"]):
            fault = kick_drawer(station, reason=f"sale {sale['receipt_number']}", cashier=sale["cashier_id"])
            if fault and "printer" not in faults:
                faults["drawer"] = fault
    show_on_display(station, lambda display: display.show_total(sale["to_pay"], sale["currency"],
                                                                change=sale["change"] or None))
    state = fiscal_state(db, _uuid(sale["id"]))
    result = {**sale, "fiscal_status": state["fiscal_status"], "fiscal_number": state["fiscal_number"]}
    if faults:  # without a fault the answer is exactly GET /sales/{id}
        result["device_fault"] = next(iter(faults.values()))
        result["device_faults"] = faults
    return result


def _uuid(value):
    import uuid
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
