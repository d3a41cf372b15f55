"""Each till's devices, opened once per web process and guarded by one lock per till.

A serial port or an in-process emulator can only be driven by one process, so the web
process owns them (``make run`` serves with one worker and threads); the worker process
and the CLI never open a device.  A device that cannot be opened is remembered as a fault
and tried again later: selling never waits on it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from hardware.device import DeviceError, parse_device_url
from hardware.fiscal import open_fiscal_printer
from hardware.registry import create_device

log = logging.getLogger("pos.devices")

KINDS = {"printer": "receipt_printer", "fiscal": "fiscal_printer", "display": "line_display", "scanner": "scanner",
         "scale": "scale"}
# a device that failed to open is not tried again by every sale (a dead socket printer costs its timeout)
REOPEN_AFTER_SECONDS = 15.0
# the longest pause between two attempts to reach a lost fiscal printer (services.FiscalWatcher)
RECONNECT_MAX_SECONDS = 30.0
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)
_SAFE_FISCAL_SCHEMES = ("emulator", "dummy", "nonfiscal", "none")


def fault(error: DeviceError | None) -> dict | None:
    return error.as_dict() if error is not None else None


def resolve_urls(terminal, country: str, device_dir: str) -> dict[str, str]:
    """The Terminal row's device URLs, with emulator state placed under POS_DEVICE_DIR/<terminal>.

    Czech stores have no fiscal device since EET ended: their receipts are never fiscal."""
    folder = Path(device_dir) / terminal.code
    urls = {"printer": terminal.printer_url or "", "display": terminal.display_url or "",
            "scanner": terminal.scanner_url or "", "scale": terminal.scale_url or "",
            "fiscal": terminal.fiscal_url if terminal.fiscal_url and country != "CZ" else "nonfiscal://"}
    urls["printer"] = _with_default(urls["printer"], "printer", "dir", folder / "printer-jobs")
    urls["fiscal"] = _with_default(urls["fiscal"], None, "memory", folder / "fiscal-memory.json")
    if urls["fiscal"].startswith(("checkbox+", "emulator://checkbox")) and "state=" not in urls["fiscal"]:
        # the PRRO's offline book (codes, offline hours) lives beside the till's other device state
        state = urlencode({"state": str(folder / "checkbox-offline.json")})
        urls["fiscal"] += ("&" if "?" in urls["fiscal"] else "?") + state
    return urls


def shown_url(url: str, device=None) -> str:
    """The address as a person may see it: a driver masks any secret written into it (a PRRO's licence key)."""
    if device is not None:
        return device.url
    if url.startswith("checkbox+"):
        from hardware.fiscal.checkbox.client import redact
        return redact(url)
    return url


def _with_default(url: str, target: str | None, option: str, value: Path) -> str:
    if not url:
        return url
    address = parse_device_url(url)
    if address.scheme != "emulator" or option in address.options or (target and address.target != target):
        return url
    return url + ("&" if "?" in url else "?") + urlencode({option: str(value)})


class Station:
    """One till's devices.  ``lock`` is held for a whole sale's device work (fiscal, print, drawer),
    so two requests of one till never interleave commands on its printers."""

    def __init__(self, code: str, terminal_id, urls: dict[str, str], *, language: str, expected_vat: dict,
                 allow_real_devices: bool, on_scan=None):
        self.code = code
        self.terminal_id = terminal_id
        self.urls = urls
        self.language = language
        self.expected_vat = expected_vat
        self.allow_real_devices = allow_real_devices
        self.on_scan = on_scan
        self.lock = threading.RLock()
        self.devices: dict[str, object] = {}
        self.faults: dict[str, dict] = {}
        # the start-up check's verdict: while set, nothing is fiscalised (sales queue as pending)
        self.fiscal_block: DeviceError | None = None
        # after an ambiguous fault new sales queue at once instead of each waiting for the device to settle
        self.fiscal_quiet_until = 0.0
        self._retry_at: dict[str, float] = {}
        self._opening = threading.Lock()
        self.reconnect_max = RECONNECT_MAX_SECONDS
        self.watcher: threading.Thread | None = None
        self.watch_lock = threading.Lock()
        self.closed = threading.Event()

    # opening ---------------------------------------------------------------------
    def configured(self, name: str) -> bool:
        return bool(self.urls.get(name))

    def device(self, name: str, *, force: bool = False):
        """The opened device, or None when none is configured; a DeviceError when it cannot be had."""
        if not self.configured(name):
            return None
        if self.closed.is_set():  # a watcher finishing its turn must not reopen what the till closed
            raise DeviceError("offline", f"The {name} of {self.code} was closed.", "Retry: the till reopens it.")
        with self._opening:
            found = self.devices.get(name)
            if found is not None:
                return found
            if not force and time.monotonic() < self._retry_at.get(name, 0):
                raise self._remembered(name)
            try:
                found = self._open(name)
            except DeviceError as error:
                self.record(name, error)
                self._retry_at[name] = time.monotonic() + REOPEN_AFTER_SECONDS
                raise
            except Exception as exc:  # a driver bug must not take selling down with it
                log.exception("opening %s of %s failed", name, self.code)
                error = DeviceError("offline", f"The {name} could not be started: {exc}",
                                    "Check the device settings of this till; call support.")
                self.record(name, error)
                self._retry_at[name] = time.monotonic() + REOPEN_AFTER_SECONDS
                raise error from exc
            self.devices[name] = found
            self.faults.pop(name, None)
            return found

    def _open(self, name: str):
        url = self.urls[name]
        if name == "fiscal":
            if not self.allow_real_devices and parse_device_url(url).scheme not in _SAFE_FISCAL_SCHEMES:
                raise DeviceError("real_device_refused", f"{url} is a real device and real devices are switched off here.",
                                  "Use an emulator:// URL, or allow real devices in the configuration.")
            printer = open_fiscal_printer(url)
            self.check_fiscal(printer)
            return printer
        options = {}
        if name == "display" and "language" not in parse_device_url(url).options:
            options["language"] = self.language
        if name == "scanner":
            options["on_scan"] = self.on_scan or (lambda code: None)
        device = create_device(KINDS[name], url, allow_real_devices=self.allow_real_devices, **options)
        if name == "scanner":
            device.start()  # a scanner not plugged in yet is waited for by its own thread
        else:
            device.open()
        return device

    def check_fiscal(self, printer=None) -> DeviceError | None:
        """Clock and VAT table against the store's: a wrong rate on a fiscal receipt is a tax offence,
        so a mismatch blocks fiscalising (sales go on and queue as pending) until it is fixed."""
        printer = printer or self.devices.get("fiscal")
        if printer is None:
            return self.fiscal_block
        try:
            printer.check_configuration(self.expected_vat, MAX_CLOCK_SKEW)
        except DeviceError as error:
            log.warning("fiscal printer of %s refused by the start-up check: %s", self.code, error.message)
            self.fiscal_block = error
            self.record("fiscal", error)
            return error
        self.fiscal_block = None
        return None

    def _remembered(self, name: str) -> DeviceError:
        known = self.faults.get(name) or {"code": "offline", "message": f"The {name} is not available.",
                                          "action": "Check the cable and power, then press Retry."}
        return DeviceError(known["code"], known["message"], known["action"])

    # faults ------------------------------------------------------------------------
    def record(self, name: str, error: DeviceError) -> None:
        self.faults[name] = error.as_dict()

    def clear(self, name: str) -> None:
        if name != "fiscal" or self.fiscal_block is None:
            self.faults.pop(name, None)

    def drop(self, name: str) -> None:
        """Close a device (e.g. after its link died) so the next use opens it afresh."""
        with self._opening:
            device = self.devices.pop(name, None)
            self._retry_at.pop(name, None)
        if device is not None:
            try:
                device.close()
            except Exception:  # closing a dead device must not hide why it is dropped
                log.debug("closing %s of %s failed", name, self.code, exc_info=True)

    def close(self) -> None:
        self.closed.set()
        for name in list(self.devices):
            self.drop(name)

    # status --------------------------------------------------------------------------
    def status(self) -> list[dict]:
        items = []
        for name in ("fiscal", "printer", "display", "scanner", "scale"):
            if not self.configured(name):
                continue
            device = self.devices.get(name)
            url = self.urls[name]
            item = {"name": name, "kind": KINDS[name], "url": shown_url(url, device), "state": "closed",
                    "error": self.faults.get(name)}
            if device is not None:
                item["state"] = device.state.value
                if device.last_error is not None and item["error"] is None:
                    item["error"] = device.last_error.as_dict()
                if name == "fiscal":
                    item["fiscal"] = bool(getattr(device, "fiscal", True))
                    since = getattr(device, "offline_since", None)
                    item["offline_since"] = since.isoformat(timespec="seconds") if since else None
                    if since is not None:
                        item["state"] = "offline"
                    allowance = device.offline_allowance() if hasattr(device, "offline_allowance") else None
                    if allowance is not None:  # a PRRO: offline hours used and left under the law's limits
                        item["offline"] = allowance
                    if self.fiscal_block is not None:
                        item["state"], item["error"] = "blocked", fault(self.fiscal_block)
                if name == "printer":
                    item["paper"] = self._paper(device)
                if name == "display":
                    item["lines"] = list(getattr(device, "lines", []))
                if name == "scanner":
                    item["connected"] = device.connected.is_set()
            elif item["error"] is not None:
                item["state"] = "error"
            if name == "fiscal" and parse_device_url(url).scheme in ("nonfiscal", "none"):
                item["fiscal"] = False
            items.append(item)
        return items

    @staticmethod
    def _paper(printer) -> str:
        # never wait behind a receipt being printed: the last answer is good enough for a status bar
        if not printer._lock.acquire(blocking=False):
            return printer.paper
        try:
            return printer.paper_status()
        except DeviceError:
            return printer.paper
        finally:
            printer._lock.release()
