"""Open any store device from its kind and URL, and report on all of them.

    registry = DeviceRegistry(allow_real_devices=False)   # tests: emulators only
    printer = registry.open_device("receipt_printer", "emulator://printer")
    registry.device_status()   # [{"kind": ..., "state": ..., "error": ..., "paper": ...}, ...]

Other drivers (the fiscal printers) plug in with :func:`register_driver`.
"""
from __future__ import annotations

import threading
from typing import Callable

from .device import Device, DeviceError, parse_device_url

# URL schemes that never reach hardware: the emulators and python-escpos's Dummy
SAFE_SCHEMES = ("emulator", "dummy")


def _receipt_printer(url: str, **options) -> Device:
    from .receipt_printer import ReceiptPrinter

    return ReceiptPrinter(url, **options)


def _line_display(url: str, **options) -> Device:
    from .display import LineDisplay

    return LineDisplay(url, **options)


def _scanner(url: str, **options) -> Device:
    from .scanner import Scanner

    return Scanner(url, **options)


def _scale(url: str, **options) -> Device:
    from .scale import Scale

    address = parse_device_url(url)
    if address.scheme != "emulator":
        return Scale(url, **options)
    # emulator://scale?grams=1250 (the demo's and the tests' scale): the 8217 emulator on a pty, owned by the driver
    from simulators.scale import ScaleEmulator

    emulator = ScaleEmulator().start()
    emulator.place(int(address.options.get("grams", 0)))
    scale = Scale(f"{emulator.port}?timeout={address.options.get('timeout', 0.5)}", **options)
    scale.url, scale.emulator = url, emulator
    close = scale._close

    def close_with_emulator() -> None:
        try:
            close()
        finally:
            emulator.stop()
    scale._close = close_with_emulator
    return scale


_DRIVERS: dict[str, Callable[..., Device]] = {
    "receipt_printer": _receipt_printer,
    "printer": _receipt_printer,
    "line_display": _line_display,
    "display": _line_display,
    "scanner": _scanner,
    "scale": _scale,
}


def register_driver(kind: str, factory: Callable[..., Device]) -> None:
    """``factory(url, **options)`` returns an unopened :class:`~hardware.device.Device`."""
    _DRIVERS[kind] = factory


def is_real_device_url(url: str) -> bool:
    return parse_device_url(url).scheme not in SAFE_SCHEMES


def create_device(kind: str, url: str, *, allow_real_devices: bool = True, **options) -> Device:
    """The driver for ``url``, not yet opened."""
    if kind not in _DRIVERS:
        raise DeviceError("config", f"No driver for device kind {kind!r}.",
                          f"Use one of: {', '.join(sorted(_DRIVERS))}.")
    if not allow_real_devices and is_real_device_url(url):
        raise DeviceError("real_device_refused", f"{url} is a real device and real devices are switched off here.",
                          "Use an emulator:// URL, or allow real devices in the configuration.")
    return _DRIVERS[kind](url, **options)


def open_device(kind: str, url: str, *, allow_real_devices: bool = True, **options) -> Device:
    """The driver for ``url``, opened (a scanner also starts reading: pass ``on_scan=``)."""
    device = create_device(kind, url, allow_real_devices=allow_real_devices, **options)
    start = getattr(device, "start", None)
    if callable(start):
        start()
    else:
        device.open()
    return device


def device_status(devices) -> list[dict]:
    """Status dicts (state, last error, paper for printers) of the given devices."""
    return [device.status() for device in devices]


class DeviceRegistry:
    """The devices of one till, opened by name so the app can find and report them."""

    def __init__(self, *, allow_real_devices: bool = True):
        self.allow_real_devices = allow_real_devices
        self.devices: dict[str, Device] = {}
        self._lock = threading.Lock()

    def open_device(self, kind: str, url: str, *, name: str | None = None, **options) -> Device:
        name = name or kind
        with self._lock:
            if name in self.devices:
                return self.devices[name]
            device = open_device(kind, url, allow_real_devices=self.allow_real_devices, **options)
            self.devices[name] = device
            return device

    def get(self, name: str) -> Device | None:
        return self.devices.get(name)

    def device_status(self) -> dict[str, dict]:
        return {name: device.status() for name, device in self.devices.items()}

    def close_all(self) -> None:
        with self._lock:
            for device in self.devices.values():
                device.close()
            self.devices.clear()
