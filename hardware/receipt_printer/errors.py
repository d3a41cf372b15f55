"""python-escpos, pyserial and OS errors as faults a cashier can act on."""
from __future__ import annotations

import socket

from escpos import exceptions as escpos_errors

from ..device import DeviceError

try:  # pyusb is an optional extra (pyproject.toml's usb extra)
    from usb.core import NoBackendError
except ImportError:
    class NoBackendError(Exception):  # never raised without pyusb
        pass

try:  # pyserial is a dependency, but keep the mapping usable without it
    from serial import SerialException, SerialTimeoutException
except ImportError:  # pragma: no cover
    SerialException = SerialTimeoutException = OSError


def paper_out() -> DeviceError:
    return DeviceError("paper_out", "Paper out — load a new roll and press Retry.",
                       "Open the cover, load a new paper roll, close the cover and press Retry.")


def printer_error(exc: BaseException, url: str, *, sending: bool) -> DeviceError:
    """``sending``: the job may have been partly printed when the fault came."""
    if isinstance(exc, DeviceError):
        return exc
    found = usb_open_error(exc, url) if url.startswith("usb://") and not sending else None
    if found is not None:
        return found
    if isinstance(exc, (escpos_errors.DeviceNotFoundError, escpos_errors.USBNotFoundError)):
        return DeviceError("offline", f"Receipt printer not found at {url}.",
                           "Check the printer is switched on and its cable is plugged in, then press Retry.")
    if isinstance(exc, (socket.timeout, TimeoutError, SerialTimeoutException)):
        return DeviceError("timeout", "The receipt printer did not answer.",
                           "Check the printer is on and the cover closed; if half a receipt came out, "
                           "tear it off, then press Retry.", ambiguous=sending)
    if isinstance(exc, (SerialException, OSError)):
        return DeviceError("offline", f"Lost the connection to the receipt printer ({exc}).",
                           "Check the cable and power, then press Retry.", ambiguous=sending)
    if isinstance(exc, RuntimeError):
        return DeviceError("driver_missing", str(exc), "Ask support to install the printer driver.")
    if isinstance(exc, escpos_errors.Error):
        return DeviceError("printer_error", f"The receipt printer refused the job: {exc}",
                           "Press Retry; if it fails again, print from another till and call support.")
    raise exc


def usb_open_error(exc: BaseException, url: str) -> DeviceError | None:
    """Why a USB printer could not be opened, naming its vendor:product id (None: not a USB cause)."""
    ids = url[len("usb://"):].split("?", 1)[0].lower()
    if isinstance(exc, NoBackendError):
        return DeviceError("libusb_missing", f"USB printer {ids}: pyusb is installed but the libusb library is not "
                           "on this till.", "Install libusb (Debian/Ubuntu: `apt install libusb-1.0-0`), then press "
                           "Retry; or connect the printer by serial or network.")
    if isinstance(exc, (escpos_errors.DeviceNotFoundError, escpos_errors.USBNotFoundError)):
        text = str(exc).lower()
        if "access denied" in text or "permission" in text:
            return DeviceError("usb_permission_denied", f"USB printer {ids}: the till may not use it (access denied).",
                               "Give the till's user access with a udev rule (see the README), re-plug the printer, "
                               "then press Retry.")
        return DeviceError("usb_device_not_found", f"USB printer {ids} is not connected to this till.",
                           f"Switch the printer on and plug its cable in; `lsusb` must list ID {ids} (if it lists "
                           "another id, set that one), then press Retry.")
    return None
