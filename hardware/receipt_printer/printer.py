"""The receipt printer device: receipts, slips and the cash drawer on one ESC/POS printer."""
from __future__ import annotations

import logging

from escpos.printer import Dummy

from ..device import Device, DeviceError, DeviceState
from .connections import make_connection
from .emulator import VirtualPrinter
from .errors import paper_out, printer_error
from .job import UnknownProfile, load_profile, profile_columns
from .layout import layout_receipt
from .render import render_png
from .reports import layout_slip

drawer_log = logging.getLogger("hardware.drawer")
log = logging.getLogger("hardware.receipt_printer")

_PAPER = {2: "ok", 1: "near_end", 0: "out"}
_CAN_ASK_STATUS = ("usb", "serial", "socket", "emulator")


class ReceiptPrinter(Device):
    """An ESC/POS receipt printer addressed by URL.

    Options (URL query or keyword): ``profile`` (python-escpos profile name,
    e.g. TM-T88V), ``columns`` (32/42/48), ``codes`` (both|qr|barcode|none),
    ``qr`` (auto|native|image), ``paper_check`` (1/0: ask DLE EOT 4 before
    each job), ``drawer_pin`` (2 or 5).
    """

    kind = "receipt_printer"

    def __init__(self, url: str, *, profile: str | None = None, columns: int | None = None,
                 codes: str | None = None, qr: str | None = None, paper_check: bool | None = None,
                 drawer_pin: int | None = None):
        super().__init__(url)
        options = self.address.options
        default_profile = "TM-T88V" if self.address.scheme == "emulator" else "default"
        self.profile = profile or options.get("profile") or default_profile
        try:
            self.columns = int(columns or options.get("columns") or profile_columns(load_profile(self.profile)))
        except UnknownProfile as exc:
            raise DeviceError("config", str(exc), "Set profile= to a python-escpos profile name, e.g. TM-T88V.") from exc
        self.codes = codes or options.get("codes", "both")
        self.qr_mode = qr or options.get("qr", "auto")
        if paper_check is None:
            paper_check = options.get("paper_check", "1") not in ("0", "false", "no")
        self.paper_check = paper_check and self.address.scheme in _CAN_ASK_STATUS
        self.drawer_pin = int(drawer_pin or options.get("drawer_pin", 2))
        self.connection = None
        self._virtual: VirtualPrinter | None = None
        self.paper = "unknown"
        self.last_job: bytes | None = None
        self.jobs_sent = 0

    # life cycle hooks ---------------------------------------------------------
    def _open(self) -> None:
        # the virtual printer outlives a simulated fault, as a real one does
        connection = self._virtual or make_connection(self.address, self.profile, self.columns)
        if isinstance(connection, VirtualPrinter):
            self._virtual = connection
        try:
            connection.open()
        except Exception as exc:
            raise printer_error(exc, self.url, sending=False) from exc
        self.connection = connection

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a dead link must not hide the original fault
                log.debug("closing %s failed", self.url, exc_info=True)

    @property
    def emulator(self) -> VirtualPrinter | None:
        """The virtual printer behind ``emulator://printer`` (None for real printers)."""
        return self._virtual

    # what the till does -------------------------------------------------------
    def print_receipt(self, document: dict) -> None:
        data = layout_receipt(document, profile=self.profile, columns=self.columns,
                              codes=self.codes, qr_mode=self.qr_mode)
        self.send_job(data)

    def print_report(self, document: dict) -> None:
        """X/Z report, shift or cash slip (format in :mod:`hardware.receipt_printer.reports`)."""
        self.send_job(layout_slip(document, profile=self.profile, columns=self.columns))

    def kick_drawer(self, *, reason: str = "", cashier: str = "", pin: int | None = None) -> None:
        """Open the cash drawer wired to the printer (ESC p) and log who and why."""
        pin = pin or self.drawer_pin
        command = Dummy(profile=self.profile)
        command.cashdraw(pin)
        try:
            self._send(command.output, check_paper=False)
        except DeviceError as error:
            drawer_log.warning("cash drawer on %s did not open (%s): reason=%s cashier=%s",
                               self.url, error.code, reason, cashier)
            raise
        drawer_log.info("cash drawer opened on %s pin %s: reason=%s cashier=%s",
                        self.url, pin, reason, cashier,
                        extra={"device_url": self.url, "reason": reason, "cashier": cashier})

    def paper_status(self) -> str:
        """ok | near_end | out | unknown (printers on file:// cannot say)."""
        with self._lock:
            self._ensure_open()
            self.paper = self._ask_paper()
            return self.paper

    def last_job_png(self) -> bytes:
        """PNG of the last job sent, drawn from its bytes by the ESC/POS renderer."""
        if self.last_job is None:
            raise LookupError("nothing printed yet")
        return render_png(self.last_job, self.profile, self.columns)

    def send_job(self, data: bytes) -> None:
        self._send(data, check_paper=True)

    def status(self) -> dict:
        status = super().status()
        status.update(paper=self.paper, profile=self.profile, columns=self.columns, jobs_sent=self.jobs_sent)
        return status

    # internals ----------------------------------------------------------------
    def _ensure_open(self) -> None:
        if self.state is DeviceState.ERROR and self.connection is None:
            self.state = DeviceState.CLOSED  # the last fault dropped the link: Retry reopens it
        self.open()

    def _ask_paper(self) -> str:
        if self.address.scheme not in _CAN_ASK_STATUS or self.connection is None:
            return "unknown"
        try:
            return _PAPER.get(self.connection.paper_status(), "unknown")
        except (NotImplementedError, AssertionError, TimeoutError):
            # some network printers ignore DLE EOT: a silent printer still gets the job
            return "unknown"
        except Exception as exc:
            raise self._drop(printer_error(exc, self.url, sending=False)) from exc

    def _send(self, data: bytes, *, check_paper: bool) -> None:
        with self._lock:
            self._ensure_open()
            if check_paper and self.paper_check:
                self.paper = self._ask_paper()
                if self.paper == "out":
                    error = paper_out()
                    self._fail(error)
                    raise error
            self.state = DeviceState.BUSY
            try:
                self.connection._raw(data)
                flush = getattr(self.connection, "flush", None)
                if callable(flush):
                    flush()
            except Exception as exc:
                raise self._drop(printer_error(exc, self.url, sending=True)) from exc
            if data[:2] != b"\x1bp":
                self.last_job = data
                self.jobs_sent += 1
            self._ok()

    def _drop(self, error: DeviceError) -> DeviceError:
        """A broken link is closed so the next Retry opens it afresh."""
        self._close()
        self._fail(error)
        return error
