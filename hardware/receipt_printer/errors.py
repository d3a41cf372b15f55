"""python-escpos, pyserial and OS errors as faults a cashier can act on."""
from __future__ import annotations

import socket

from escpos import exceptions as escpos_errors

from ..device import DeviceError

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
