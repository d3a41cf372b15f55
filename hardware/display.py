"""Customer pole display, 2 × 20 characters, Epson DM-D (ESC/POS display) commands.

URLs: ``/dev/ttyUSB1?baudrate=9600&language=pl`` (serial), ``emulator://display``.
Options: ``baudrate``, ``language`` (pl|cs|uk|en: picks the code page),
``codepage`` and ``codepage_id`` (a page name and its ESC t number, for
displays that know more pages than the DM-D table below), ``columns``.
"""
from __future__ import annotations

import serial

from .device import Device, DeviceError, DeviceState
from .display_screen import DM_D_CODE_PAGES, DisplayScreen
from .receipt_printer.labels import label
from .receipt_printer.money import format_money, format_quantity

ESC_INIT = b"\x1b@"
CLEAR = b"\x0c"

# pl/cs fit CP852; the DM-D table has no page with every Ukrainian letter,
# so Ukrainian goes to CP866 with І/і and Ґ/ґ written as their look-alikes.
LANGUAGE_PAGES = {"pl": "CP852", "cs": "CP852", "uk": "CP866", "en": "CP437"}
LOOK_ALIKES = str.maketrans({"І": "I", "і": "i", "Ґ": "Г", "ґ": "г", "’": "'", "–": "-", "—": "-",
                             "„": '"', "”": '"', "“": '"', "€": "E"})


def move_cursor(column: int, row: int) -> bytes:
    """US $ x y, both counted from 1."""
    return bytes([0x1F, 0x24, column, row])


class _ScreenLink:
    """What ``emulator://display`` writes to: the display screen model in memory."""

    def __init__(self, screen: DisplayScreen):
        self.screen = screen

    def write(self, data: bytes) -> int:
        self.screen.feed(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class LineDisplay(Device):
    kind = "line_display"

    def __init__(self, url: str, *, language: str | None = None, codepage: str | None = None,
                 codepage_id: int | None = None, columns: int | None = None):
        super().__init__(url)
        options = self.address.options
        self.language = language or options.get("language", "pl")
        self.codepage = (codepage or options.get("codepage") or LANGUAGE_PAGES.get(self.language, "CP437")).upper()
        numbers = {name: number for number, name in DM_D_CODE_PAGES.items()}
        chosen_id = codepage_id if codepage_id is not None else options.get("codepage_id")
        if chosen_id is None and self.codepage not in numbers:
            raise DeviceError("config", f"No ESC t number known for {self.codepage} on a DM-D display.",
                              "Add codepage_id= with the number from the display's manual.")
        self.codepage_id = int(chosen_id) if chosen_id is not None else numbers[self.codepage]
        self.columns = int(columns or options.get("columns", 20))
        self.link = None
        self.screen: DisplayScreen | None = None  # the emulator's screen, for emulator://display
        self.lines = ["", ""]

    # life cycle ---------------------------------------------------------------
    def _open(self) -> None:
        if self.address.scheme == "emulator":
            self.screen = self.screen or DisplayScreen(columns=self.columns)
            self.link = _ScreenLink(self.screen)
        elif self.address.scheme == "serial":
            options = self.address.options
            try:
                self.link = serial.serial_for_url(self.address.target, baudrate=int(options.get("baudrate", 9600)),
                                                  timeout=1, write_timeout=2)
            except serial.SerialException as exc:
                raise DeviceError("offline", f"Customer display not found at {self.address.target}.",
                                  "Check the display cable, then retry.") from exc
        else:
            raise DeviceError("config", f"No customer display driver for {self.url!r}.",
                              "Use a serial port path or emulator://display.")
        self._write(ESC_INIT + bytes([0x1B, 0x74, self.codepage_id]) + CLEAR)

    def _close(self) -> None:
        link, self.link = self.link, None
        if link is not None:
            link.close()

    # what the till shows --------------------------------------------------------
    def show(self, top: str, bottom: str = "") -> None:
        """Both lines, each cut or padded to the display width."""
        top, bottom = self._fit(top), self._fit(bottom)
        self._write(move_cursor(1, 1) + self._encode(top) + move_cursor(1, 2) + self._encode(bottom))
        self.lines = [top.rstrip(), bottom.rstrip()]

    def show_item(self, name: str, amount: int, currency: str = "PLN", *, quantity: int | None = None,
                  unit: str = "pcs", unit_price: int | None = None) -> None:
        """Item name on top; ``2 x 4,50      9,00`` (or just the amount) below."""
        price = format_money(amount, currency, self.language)
        left = ""
        if quantity is not None and unit_price is not None:
            unit_price_text = format_money(unit_price, currency, self.language)
            quantity_text = format_quantity(quantity, unit, self.language)
            for candidate in (f"{quantity_text} x {unit_price_text}",
                              f"{quantity_text.removesuffix(' kg')} x {unit_price_text}"):
                if len(candidate) + 1 + len(price) <= self.columns:
                    left = candidate
                    break
        self.show(name, left.ljust(self.columns - len(price)) + price)

    def show_total(self, total: int, currency: str = "PLN", *, change: int | None = None) -> None:
        amount = format_money(total, currency, self.language)
        top = f"{label(self.language, 'total')} {currency}"
        if change is None:
            self.show(top, amount.rjust(self.columns))
        else:
            self.show(top + amount.rjust(self.columns - len(top)),
                      self._right(label(self.language, "change"), format_money(change, currency, self.language)))

    def clear(self) -> None:
        self._write(CLEAR)
        self.lines = ["", ""]

    def status(self) -> dict:
        status = super().status()
        status["lines"] = list(self.lines)
        return status

    # internals ----------------------------------------------------------------
    def _right(self, left: str, right: str) -> str:
        return left[: self.columns - len(right) - 1].ljust(self.columns - len(right)) + right

    def _fit(self, text: str) -> str:
        return text[: self.columns].ljust(self.columns)

    def _encode(self, text: str) -> bytes:
        return text.translate(LOOK_ALIKES).encode(self.codepage.lower().replace("_", "-"), errors="replace")

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self.link is None:
                if self.state is DeviceState.ERROR:
                    self.state = DeviceState.CLOSED  # the link was dropped by a fault: reopen it
                self.open()
            try:
                self.link.write(data)
                self.link.flush()
            except (serial.SerialException, OSError) as exc:
                error = DeviceError("offline", f"Customer display stopped answering ({exc}).",
                                    "Check the display cable; sales can go on without it.")
                self._close()
                self._fail(error)
                raise error from exc
            self._ok()
