"""Checkout scale on a serial line, speaking the Mettler Toledo 8217 ("ECR") protocol.

Most checkout scales and scanner-scales sold to shops (Mettler Toledo, Magellan, Datalogic,
many Dialog-family scales in their ECR mode) answer these one-letter commands:

* ``W``  → ``STX 01.234 CR`` (kg, stable gross weight; ``N`` after the digits when net of a tare),
  or ``STX ? <status> [<status>] CR`` while the weight is not to be sold: in motion, at zero,
  below zero, over capacity or a hardware fault;
* ``Z``  zero, ``T`` tare the item on the platter, ``TWWWWW`` a known tare in grams (WW.WWW kg),
  ``C`` clear the tare: each answers with its status bytes.

Status byte 1: bit 0 in motion, bit 1 at zero, bit 2 RAM error, bit 3 EEPROM error, bits 4-5 always
1, bit 6 "another status byte follows".  Status byte 2: bit 0 under zero, bit 1 over capacity,
bit 2 ROM error, bit 3 faulty calibration.

URL: ``/dev/ttyUSB0?baudrate=9600&bytesize=7&parity=E`` (the 8217 default line is 9600 7E1).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import serial

from .device import Device, DeviceError

STX, CR = b"\x02", b"\r"
_WEIGHT = re.compile(rb"^(\d{1,3})\.(\d{2,3})(N?)$")
_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


@dataclass(frozen=True)
class Weighing:
    """A stable weight the scale vouches for, in grams (net of the tare when ``net``)."""

    grams: int
    net: bool = False


@dataclass(frozen=True)
class ScaleStatus:
    motion: bool = False
    at_zero: bool = False
    under_zero: bool = False
    over_capacity: bool = False
    fault: bool = False

    @classmethod
    def parse(cls, raw: bytes) -> "ScaleStatus":
        first = raw[0] if raw else 0
        second = raw[1] if len(raw) > 1 and first & 0x40 else 0
        return cls(motion=bool(first & 0x01), at_zero=bool(first & 0x02),
                   under_zero=bool(second & 0x01), over_capacity=bool(second & 0x02),
                   fault=bool(first & 0x0C or second & 0x0C))

    def error(self) -> DeviceError | None:
        """Why this status gives no weight to sell, as the cashier should read it."""
        if self.fault:
            return DeviceError("scale_fault", "The scale reports a hardware fault.",
                               "Switch the scale off and on; if it stays, weigh by hand with a manager.")
        if self.over_capacity:
            return DeviceError("scale_over_capacity", "Too heavy for the scale.", "Weigh it in smaller parts.")
        if self.under_zero:
            return DeviceError("scale_under_zero", "The scale shows less than zero.",
                               "Empty the platter and zero the scale.")
        if self.motion:
            return DeviceError("scale_motion", "The weight is not steady yet.",
                               "Let the goods rest on the platter, then weigh again.")
        if self.at_zero:
            return DeviceError("scale_zero", "Nothing is on the scale.", "Put the goods on the platter.")
        return None


class Scale(Device):
    kind = "scale"

    def __init__(self, url: str, *, timeout: float | None = None):
        super().__init__(url)
        options = self.address.options
        try:
            self.baudrate = int(options.get("baudrate", 9600))
            self.bytesize = int(options.get("bytesize", 7))
            self.parity = _PARITIES[options.get("parity", "E").upper()]
            self.timeout = float(timeout if timeout is not None else options.get("timeout", 1.0))
        except (KeyError, ValueError) as exc:
            raise DeviceError("config", f"Bad scale settings in {url}: {exc}",
                              "Use baudrate=9600&bytesize=7&parity=E (or the scale's own setting).") from exc
        self.port = None
        self._io = threading.Lock()

    def _open(self) -> None:
        try:
            self.port = serial.serial_for_url(self.address.target, baudrate=self.baudrate, bytesize=self.bytesize,
                                              parity=self.parity, timeout=self.timeout)
        except (serial.SerialException, OSError) as exc:
            raise DeviceError("offline", f"Scale not found at {self.address.target}.",
                              "Check the scale's cable and power.") from exc

    def _close(self) -> None:
        self._drop_port()

    def _drop_port(self) -> None:
        port, self.port = self.port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    # commands -----------------------------------------------------------------
    def weigh(self) -> Weighing:
        """The stable weight on the platter, or a DeviceError saying why there is none to sell."""
        body = self._ask(b"W")
        if body.startswith(b"?"):
            error = ScaleStatus.parse(body[1:]).error() or DeviceError(
                "scale_fault", "The scale answered without a weight.", "Weigh again.")
            raise self._failed(error)
        match = _WEIGHT.match(body)
        if not match:
            raise self._failed(DeviceError("scale_fault", f"The scale's answer {body!r} is not a weight.",
                                           "Check the scale is set to the 8217 protocol in kilograms."))
        whole, fraction, net = match.groups()
        grams = int(whole) * 1000 + int(fraction.ljust(3, b"0"))
        if grams <= 0:
            raise self._failed(ScaleStatus(at_zero=True).error())
        with self._lock:
            self._ok()
        return Weighing(grams, net=bool(net))

    def zero(self) -> ScaleStatus:
        return self._status_of(b"Z")

    def tare(self, grams: int | None = None) -> ScaleStatus:
        """Tare what is on the platter, or a known container weight in grams (0 < grams ≤ 99,999)."""
        if grams is None:
            return self._status_of(b"T")
        if not 0 < grams <= 99_999:
            raise DeviceError("config", f"A tare of {grams} g is outside what the scale takes.",
                              "Enter a tare between 1 g and 99.999 kg.")
        return self._status_of(b"T%05d" % grams)

    def clear_tare(self) -> ScaleStatus:
        return self._status_of(b"C")

    # the line -----------------------------------------------------------------
    def _status_of(self, command: bytes) -> ScaleStatus:
        body = self._ask(command)
        return ScaleStatus.parse(body[1:] if body.startswith(b"?") else b"")

    def _ask(self, command: bytes) -> bytes:
        with self._io:
            if self.port is None:  # the line died earlier: open it again, the scale may be back
                try:
                    self._open()
                except DeviceError as error:
                    raise self._failed(error) from None
            try:
                self.port.reset_input_buffer()
                self.port.write(command + CR)
                reply = self.port.read_until(CR)
            except (serial.SerialException, OSError, TypeError) as exc:
                self._drop_port()
                raise self._failed(DeviceError("offline", "The scale stopped answering.",
                                               "Check the scale's cable and power, then weigh again.")) from exc
        if not reply.endswith(CR) or STX not in reply:
            raise self._failed(DeviceError("offline", "The scale did not answer.",
                                           "Check the scale's cable and power, then weigh again."))
        return reply[reply.index(STX) + 1:-1]

    def _failed(self, error: DeviceError) -> DeviceError:
        # a weighing refused for motion or zero is the goods, not the device: the scale stays idle
        with self._lock:
            if error.code in ("offline", "scale_fault"):
                self._fail(error)
            else:
                self._ok()
        return error
