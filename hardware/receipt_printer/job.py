"""One print job built in memory with python-escpos, then sent in one piece.

Building the whole job first means a layout error never leaves half a
receipt on paper, and a virtual printer sees exactly one job per receipt.
"""
from __future__ import annotations

import contextlib
import io

from escpos.capabilities import get_profile
from escpos.magicencode import MagicEncode
from escpos.printer import Dummy

from .codepages import LANGUAGE_CODE_PAGES, LanguageEncoder, code_page_for

PAPER_COLUMNS = (32, 42, 48, 56)


class UnknownProfile(ValueError):
    pass


def load_profile(name: str | None):
    try:
        return get_profile(name or "default")
    except KeyError as exc:
        raise UnknownProfile(f"unknown python-escpos printer profile {name!r}") from exc


def profile_columns(profile) -> int:
    try:
        return int(profile.get_columns("a"))
    except Exception:  # profiles without font data: the common 80 mm width
        return 42


def profile_pixel_width(profile) -> int | None:
    try:
        return int(profile.profile_data["media"]["width"]["pixels"])
    except (KeyError, TypeError, ValueError):
        return None


class JobWriter:
    """Text, barcodes and cuts for one job, in the printer's profile and the receipt's language."""

    def __init__(self, profile: str | None = None, language: str = "en", columns: int | None = None,
                 qr_mode: str = "auto"):
        load_profile(profile)  # a clear error for a misspelt profile name
        self.printer = Dummy(profile=profile or "default")
        self.profile = self.printer.profile
        pages = self.profile.get_code_pages()
        preferred = LANGUAGE_CODE_PAGES.get(language, LANGUAGE_CODE_PAGES["en"])
        self.printer.magic = MagicEncode(self.printer, encoder=LanguageEncoder(pages, preferred))
        self.language = language
        self.code_page = code_page_for(language, pages)
        self.columns = int(columns) if columns else profile_columns(self.profile)
        self.qr_mode = qr_mode
        self.printer.hw("INIT")
        self._style = {"align": "left", "bold": False, "double": False}
        # ESC @ resets the printer to its default page, so the language page
        # is selected explicitly at the top of every job.
        self.printer.magic.write_with_encoding(self.code_page, None)

    # text -----------------------------------------------------------------
    def style(self, *, align: str = "left", bold: bool = False, double: bool = False) -> None:
        """Send only the style changes, so jobs stay short on slow serial links."""
        p = self.printer
        if double != self._style["double"]:
            p.set(double_width=double, double_height=double, normal_textsize=not double)
        if bold != self._style["bold"]:
            p.set(bold=bold)
        if align != self._style["align"]:
            p.set(align=align)
        self._style = {"align": align, "bold": bold, "double": double}

    def text(self, line: str = "", *, align: str = "left", bold: bool = False,
             double: bool = False) -> None:
        """One line of text; ``double`` is double width and height (half the columns)."""
        self.style(align=align, bold=bold, double=double)
        line = self.printer.magic.encoder.printable(line)
        for chunk in _wrap(line, self.columns // 2 if double else self.columns):
            self.printer.textln(chunk)

    def pair(self, left: str, right: str, *, bold: bool = False, double: bool = False) -> None:
        """Label on the left, amount flush right; a long label wraps above the amount."""
        width = self.columns // 2 if double else self.columns
        chunks = _wrap(left, width)
        last = chunks.pop()
        for chunk in chunks:
            self.text(chunk, bold=bold, double=double)
        if len(last) + 1 + len(right) > width:
            self.text(last, bold=bold, double=double)
            last = ""
        self.text(last.ljust(width - len(right)) + right, bold=bold, double=double)

    def columns3(self, left: str, middle: str, right: str) -> None:
        side = max(8, (self.columns - 2) // 4)
        room = self.columns - 2 * side
        self.text(left[:room].ljust(room) + middle.rjust(side) + right.rjust(side))

    def separator(self, char: str = "-") -> None:
        self.text(char * self.columns)

    # codes ----------------------------------------------------------------
    def barcode128(self, data: str) -> None:
        self.style(align="center")
        # python-escpos announces the renderer it picked with print(); keep
        # that chatter out of the till's console.
        with contextlib.redirect_stdout(io.StringIO()):
            if self.profile.supports("barcodeB"):
                self.printer.barcode("{B" + data.replace("{", "{{"), "CODE128", height=64, width=2,
                                     pos="BELOW", function_type="B")
            else:  # no printer-drawn barcodes: python-escpos sends python-barcode's picture
                self.printer.barcode(data, "CODE128", height=64, width=3)

    def qr(self, data: str) -> None:
        native = self.qr_mode == "native" or (self.qr_mode == "auto" and self.profile.supports("qrCode"))
        self.style(align="center")
        if native:
            self.printer.qr(data, size=6, native=True)
            self.printer.ln()
        else:
            centred = profile_pixel_width(self.profile) is not None
            self.printer.qr(data, size=6, native=False, center=centred)

    def cut(self) -> None:
        self.printer.cut()

    def kick_drawer(self, pin: int = 2) -> None:
        self.printer.cashdraw(pin)

    @property
    def output(self) -> bytes:
        return self.printer.output


def _wrap(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    words, lines, current = line.split(" "), [], ""
    for word in words:
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines
