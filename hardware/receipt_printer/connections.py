"""python-escpos printer objects for each kind of device URL."""
from __future__ import annotations

import re

from escpos import printer as escpos_printer

from ..device import DeviceError, DeviceURL
from .emulator import VirtualPrinter


def make_connection(address: DeviceURL, profile: str, columns: int | None = None):
    """``usb://04b8:0202``, ``/dev/ttyUSB0?baudrate=19200``, ``socket://host:9100``,
    ``file:///dev/usb/lp0``, ``emulator://printer`` (``dir=`` keeps .bin files), ``dummy://``."""
    options = address.options
    if address.scheme == "usb":
        vendor, product = usb_ids(address)
        extra = usb_endpoints(address)
        if not escpos_printer.Usb.is_usable():
            raise DeviceError("driver_missing", f"USB printer {usb_name(address)}: USB printing needs the optional "
                              "pyusb package, which is not installed on this till.",
                              "Install the node's usb extra (`make run RUN_EXTRAS=store,usb`) and libusb "
                              "(`apt install libusb-1.0-0`), or connect the printer by serial or network.")
        return escpos_printer.Usb(vendor, product, timeout=int(options.get("timeout", 0)), profile=profile, **extra)
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


_USB_ID = re.compile(r"[0-9a-fA-F]{4}")


def usb_ids(address: DeviceURL) -> tuple[int, int]:
    """``usb://VVVV:PPPP`` as (vendor, product); anything else is a configuration error naming it."""
    vendor, colon, product = address.target.partition(":")
    if not (colon and _USB_ID.fullmatch(vendor) and _USB_ID.fullmatch(product)):
        raise DeviceError("bad_configuration", f"{address.raw}: '{address.target}' is not a USB vendor:product id "
                          "(four hexadecimal digits each, e.g. usb://04b8:0202).",
                          "Read the printer's ids with `lsusb` (ID VVVV:PPPP) and write usb://VVVV:PPPP.")
    return int(vendor, 16), int(product, 16)


def usb_endpoints(address: DeviceURL) -> dict:
    extra = {}
    for name in ("in_ep", "out_ep"):
        if name in address.options:
            try:
                extra[name] = int(address.options[name], 0)
            except ValueError:
                raise DeviceError("bad_configuration", f"{address.raw}: {name}={address.options[name]!r} is not "
                                  "an endpoint number (e.g. 0x81).", f"Write {name} as a number such as 0x81, or "
                                  "leave it out.") from None
    return extra


def usb_name(address: DeviceURL) -> str:
    return address.target.lower()
