import threading

import pytest

from hardware.device import Device, DeviceError
from hardware.display import LineDisplay
from hardware.receipt_printer import ReceiptPrinter
from hardware.registry import DeviceRegistry, device_status, open_device, register_driver
from hardware.scanner import Scanner


@pytest.mark.parametrize("kind, url", [
    ("receipt_printer", "usb://04b8:0202"),
    ("receipt_printer", "/dev/ttyUSB0?baudrate=19200"),
    ("receipt_printer", "socket://192.0.2.10:9100"),
    ("receipt_printer", "file:///dev/usb/lp0"),
    ("line_display", "/dev/ttyUSB1"),
    ("scanner", "/dev/serial/by-id/usb-scanner"),
])
def test_real_devices_are_refused_when_switched_off(kind, url):
    with pytest.raises(DeviceError) as raised:
        open_device(kind, url, allow_real_devices=False, **({"on_scan": print} if kind == "scanner" else {}))
    assert raised.value.code == "real_device_refused"


def test_emulators_open_when_real_devices_are_switched_off():
    registry = DeviceRegistry(allow_real_devices=False)
    scans = []
    seen = threading.Event()
    try:
        printer = registry.open_device("receipt_printer", "emulator://printer")
        display = registry.open_device("line_display", "emulator://display")
        scanner = registry.open_device("scanner", "emulator://scanner?suffix=LF",
                                       on_scan=lambda code: (scans.append(code), seen.set()))
        assert isinstance(printer, ReceiptPrinter) and isinstance(display, LineDisplay)
        assert isinstance(scanner, Scanner)
        assert registry.open_device("receipt_printer", "emulator://printer") is printer
        scanner.inject("5901234123457")
        assert seen.wait(10)
        assert scans == ["5901234123457"]
        status = registry.device_status()
        assert status["receipt_printer"]["state"] == "idle"
        assert status["receipt_printer"]["paper"] in ("ok", "unknown")
        assert status["line_display"]["state"] == "idle"
        assert status["scanner"]["connected"] is True
    finally:
        registry.close_all()
    assert registry.device_status() == {}


def test_device_status_lists_each_device_with_paper_for_printers():
    printer = open_device("receipt_printer", "emulator://printer")
    printer.emulator.set_paper("near_end")
    printer.paper_status()
    display = open_device("display", "emulator://display")
    statuses = device_status([printer, display])
    assert [s["kind"] for s in statuses] == ["receipt_printer", "line_display"]
    assert statuses[0]["paper"] == "near_end"
    assert statuses[1]["error"] is None


def test_unknown_kind_and_scheme():
    with pytest.raises(DeviceError) as raised:
        open_device("coffee_machine", "emulator://coffee")
    assert raised.value.code == "config"
    with pytest.raises(DeviceError) as raised:
        open_device("receipt_printer", "ftp://printer")
    assert raised.value.code == "config"


def test_other_drivers_plug_in():
    class Scale(Device):
        kind = "scale"

        def _open(self):
            pass

    register_driver("test_scale", lambda url, **options: Scale(url))
    scale = open_device("test_scale", "emulator://scale", allow_real_devices=False)
    assert scale.status()["kind"] == "scale" and scale.status()["state"] == "idle"
