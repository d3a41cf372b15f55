"""python-escpos printer objects for each kind of device URL."""
from __future__ import annotations

from escpos import printer as escpos_printer

from ..device import DeviceError, DeviceURL
from .emulator import VirtualPrinter


def make_connection(address: DeviceURL, profile: str, columns: int | None = None):
    """``usb://04b8:0202``, ``/dev/ttyUSB0?baudrate=19200``, ``socket://host:9100``,
    ``file:///dev/usb/lp0``, ``emulator://printer`` (``dir=`` keeps .bin files), ``dummy://``."""
    options = address.options
    if address.scheme == "usb":
        if not escpos_printer.Usb.is_usable():
            raise DeviceError("driver_missing", "USB printing needs the pyusb package on this till.",
                              "Install pyusb and libusb, or connect the printer by serial or network.")
        vendor, _, product = address.target.partition(":")
        extra = {}
        if "in_ep" in options:
            extra["in_ep"] = int(options["in_ep"], 0)
        if "out_ep" in options:
            extra["out_ep"] = int(options["out_ep"], 0)
        return escpos_printer.Usb(int(vendor, 16), int(product, 16),
                                  timeout=int(options.get("timeout", 0)), profile=profile, **extra)
    if address.scheme == "serial":
        return escpos_printer.Serial(
            devfile=address.target, baudrate=int(options.get("baudrate", 9600)),
            bytesize=int(options.get("bytesize", 8)), parity=options.get("parity", "N"),
            stopbits=float(options.get("stopbits", 1)), timeout=float(options.get("timeout", 1)),
            dsrdtr=options.get("dsrdtr", "1") not in ("0", "false"), profile=profile)
    if address.scheme == "socket":
        host, _, port = address.target.partition(":")
        return escpos_printer.Network(host, int(port or 9100),
                                      timeout=float(options.get("timeout", 10)), profile=profile)
    if address.scheme == "file":
        return escpos_printer.File(devfile=address.target, profile=profile)
    if address.scheme == "emulator":
        return VirtualPrinter(profile=profile, directory=options.get("dir"), columns=columns,
                              write_png=options.get("png", "0") in ("1", "true", "yes"))
    if address.scheme == "dummy":
        return escpos_printer.Dummy(profile=profile)
    raise DeviceError("config", f"No receipt printer driver for {address.raw!r}.",
                      "Use usb://, socket://host:9100, file://, a serial port path or emulator://printer.")
