"""The UnifiedPOS device life cycle every driver follows.

Retail developers know the model: a device is opened, claimed (exclusive use),
enabled, reports its state (closed / idle / busy / error) with an error code,
and is released.  Drivers subclass :class:`Device` and implement the ``_open``,
``_close`` and, where it means something, ``_enable`` hooks.
"""
from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit


class DeviceState(str, enum.Enum):
    CLOSED = "closed"
    IDLE = "idle"
    BUSY = "busy"
    ERROR = "error"


class DeviceError(Exception):
    """A device fault the cashier must see: what is wrong and what to do."""

    def __init__(self, code: str, message: str, action: str = "", *, ambiguous: bool = False,
                 details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.action = action
        # the figures behind the message (e.g. both totals of a mismatch), for a translated message
        self.details = dict(details or {})
        # True when the device may or may not have acted (timeout after sending):
        # the caller must ask the device what it last completed before retrying.
        self.ambiguous = ambiguous

    def as_dict(self) -> dict:
        fault = {"code": self.code, "message": self.message, "action": self.action}
        if self.details:
            fault["details"] = dict(self.details)
        return fault


@dataclass(frozen=True)
class DeviceURL:
    """A parsed device address: ``/dev/ttyUSB0?baudrate=9600``, ``socket://host:9100``,
    ``usb://04b8:0202``, ``file:///dev/usb/lp0``, ``emulator://posnet``."""

    raw: str
    scheme: str  # serial | socket | usb | file | emulator | http | https
    target: str  # path, host:port, vendor:product or emulator name
    options: dict

    @property
    def host(self) -> str:
        return self.target.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.target.rsplit(":", 1)[1])


def parse_device_url(url: str) -> DeviceURL:
    if "://" not in url:
        path, _, query = url.partition("?")
        return DeviceURL(url, "serial", path, _options(query))
    parts = urlsplit(url)
    options = _options(parts.query)
    if parts.scheme == "file":
        return DeviceURL(url, "file", parts.path, options)
    return DeviceURL(url, parts.scheme, parts.netloc + (parts.path if parts.scheme in ("http", "https") else ""), options)


def _options(query: str) -> dict:
    return {key: values[-1] for key, values in parse_qs(query).items()}


class Device:
    """Base of every driver: the open → claim → enable → release life cycle."""

    kind = "device"

    def __init__(self, url: str):
        self.url = url
        self.address = parse_device_url(url)
        self.state = DeviceState.CLOSED
        self.claimed = False
        self.enabled = False
        self.last_error: DeviceError | None = None
        self._lock = threading.RLock()

    # life cycle -----------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self.state is not DeviceState.CLOSED:
                return
            try:
                self._open()
            except DeviceError as exc:
                self._fail(exc)
                raise
            except OSError as exc:
                error = DeviceError("offline", f"{self.kind} at {self.url} cannot be opened: {exc}",
                                    "Check the cable and power, then retry.")
                self._fail(error)
                raise error from exc
            self.state = DeviceState.IDLE

    def claim(self, timeout: float = 0) -> None:
        with self._lock:
            if self.state is DeviceState.CLOSED:
                self.open()
            self.claimed = True

    def enable(self) -> None:
        with self._lock:
            if not self.claimed:
                self.claim()
            self._enable()
            self.enabled = True

    def disable(self) -> None:
        with self._lock:
            self.enabled = False

    def release(self) -> None:
        with self._lock:
            self.enabled = False
            self.claimed = False

    def close(self) -> None:
        with self._lock:
            self.release()
            if self.state is not DeviceState.CLOSED:
                try:
                    self._close()
                finally:
                    self.state = DeviceState.CLOSED

    def status(self) -> dict:
        return {
            "kind": self.kind,
            "url": self.url,
            "state": self.state.value,
            "claimed": self.claimed,
            "enabled": self.enabled,
            "error": self.last_error.as_dict() if self.last_error else None,
        }

    # helpers for drivers --------------------------------------------------
    def _fail(self, error: DeviceError) -> None:
        self.last_error = error
        self.state = DeviceState.ERROR

    def _ok(self) -> None:
        self.last_error = None
        if self.state is not DeviceState.CLOSED:
            self.state = DeviceState.IDLE

    # hooks ----------------------------------------------------------------
    def _open(self) -> None:  # pragma: no cover - drivers override
        raise NotImplementedError

    def _close(self) -> None:
        pass

    def _enable(self) -> None:
        pass
