"""Serial barcode scanner: one code per suffix (CR, LF or CRLF), read in a
background thread that rides out the scanner being unplugged.

URL: ``/dev/serial/by-id/usb-Honeywell...?baudrate=9600&suffix=CR`` — point
it at the udev by-id link, which comes back at the same path when the
scanner is plugged in again (the ttyACM number may change).
``emulator://scanner`` reads what :meth:`Scanner.inject` writes.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import serial

from .device import Device, DeviceError, DeviceState

log = logging.getLogger("hardware.scanner")

SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}


class Scanner(Device):
    kind = "scanner"

    def __init__(self, url: str, on_scan: Callable[[str], None], *, suffix: str | None = None,
                 baudrate: int | None = None, retry_initial: float = 0.05, retry_max: float = 2.0):
        super().__init__(url)
        options = self.address.options
        suffix_name = (suffix or options.get("suffix", "CR")).upper()
        if suffix_name not in SUFFIXES:
            raise DeviceError("config", f"Unknown scanner suffix {suffix_name!r}.", "Use suffix=CR, LF or CRLF.")
        self.suffix = SUFFIXES[suffix_name]
        self.baudrate = int(baudrate or options.get("baudrate", 9600))
        self.on_scan = on_scan
        self.retry_initial, self.retry_max = retry_initial, retry_max
        self.port = None
        self.connected = threading.Event()
        self.reconnects = 0
        self.scans = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._buffer = b""

    # life cycle ---------------------------------------------------------------
    def _open(self) -> None:
        self._stop.clear()
        self._connect()  # open() reports a missing scanner straight away
        self._start_reading()

    def _start_reading(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"scanner {self.address.target}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        # a scanner that was never found is CLOSED/ERROR yet may have a thread waiting for it
        super().close()
        if self._thread is not None:
            self._close()
            self.state = DeviceState.CLOSED

    def _close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        self._disconnect()

    def start(self) -> "Scanner":
        """Open and read; a scanner not plugged in yet is waited for in the background."""
        try:
            self.open()
        except DeviceError:
            self._stop.clear()
            self._start_reading()  # state stays ERROR until the scanner appears
        return self

    def stop(self) -> None:
        self.close()

    def inject(self, code: str) -> None:
        """Emulator only: the scanner "reads" ``code`` (sent with the configured suffix)."""
        if self.address.scheme != "emulator" or self.port is None:
            raise DeviceError("config", "Only emulator://scanner accepts injected scans.", "")
        self.port.write(code.encode("latin-1") + self.suffix)

    def status(self) -> dict:
        status = super().status()
        status.update(connected=self.connected.is_set(), reconnects=self.reconnects, scans=self.scans)
        return status

    # reading --------------------------------------------------------------------
    def _connect(self) -> None:
        # emulator://scanner is pyserial's loop:// port: what inject() writes comes back as scans
        target = "loop://" if self.address.scheme == "emulator" else self.address.target
        try:
            self.port = serial.serial_for_url(target, baudrate=self.baudrate, timeout=0.1)
        except (serial.SerialException, OSError) as exc:
            raise DeviceError("offline", f"Barcode scanner not found at {self.address.target}.",
                              "Plug the scanner in; it is picked up again by itself.") from exc
        self._buffer = b""
        self.connected.set()
        with self._lock:
            self._ok()

    def _disconnect(self) -> None:
        self.connected.clear()
        port, self.port = self.port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    def _run(self) -> None:
        delay = self.retry_initial
        while not self._stop.is_set():
            if self.port is None:
                try:
                    self._connect()
                    self.reconnects += 1
                    log.info("scanner %s is back", self.address.target)
                    delay = self.retry_initial
                except DeviceError as error:
                    with self._lock:
                        if not (self.last_error and self.last_error.code == "unplugged"):
                            self._fail(error)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.retry_max)
                    continue
            try:
                chunk = self.port.read(256)
            except (serial.SerialException, OSError, TypeError) as exc:
                # pyserial raises SerialException (or TypeError from a port
                # closed under it) when the USB device disappears
                log.warning("scanner %s unplugged: %s", self.address.target, exc)
                self._disconnect()
                with self._lock:
                    self._fail(DeviceError("unplugged", "Barcode scanner disconnected.",
                                           "Plug the scanner back in; scanning resumes by itself."))
                continue
            if chunk:
                self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        self._buffer += chunk
        while self.suffix in self._buffer:
            raw, self._buffer = self._buffer.split(self.suffix, 1)
            # with a CRLF scanner set to LF (or the reverse) the other half would stick to codes
            code = raw.strip(b"\r\n").decode("latin-1")
            if not code:
                continue
            self.scans += 1
            try:
                self.on_scan(code)
            except Exception:  # a failing handler must not stop the till's scanner
                log.exception("on_scan handler failed for %r", code)
