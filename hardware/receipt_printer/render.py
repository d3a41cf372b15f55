"""A small ESC/POS interpreter that draws what a job's bytes would print.

It follows the commands a receipt uses (ESC @, ESC t, ESC !, ESC E, ESC a,
GS !, LF, ESC d, GS V, ESC p, GS k, GS ( k, GS v 0, ESC *, GS ( L) and skips
the others by their documented length, so the picture shows exactly what the
bytes say: wrong code page bytes show as wrong letters.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

from PIL import Image, ImageDraw

from .codepages import python_codec
from .fonts import cell_font
from .job import load_profile, profile_columns, profile_pixel_width
from .rasters import (BARCODE_SYSTEMS, barcode_modules, barcode_text, column_image, draw_bars,
                      draw_qr, raster_image)

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
MARGIN = 16


@dataclass(frozen=True)
class Style:
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font_b: bool = False
    width: int = 1
    height: int = 1


@dataclass
class RenderResult:
    image: Image.Image
    text_lines: list[str] = field(default_factory=list)
    drawer_kicks: int = 0
    cuts: int = 0

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.image.save(buffer, "PNG")
        return buffer.getvalue()


class EscPosRenderer:
    """Interprets ESC/POS for one printer profile (its ESC t numbering and paper width)."""

    def __init__(self, profile: str | None = None, columns: int | None = None):
        self.profile = load_profile(profile)
        self.columns = int(columns) if columns else profile_columns(self.profile)
        self.paper_width = profile_pixel_width(self.profile) or (384 if self.columns <= 32 else 512)
        self.cell_width = max(6, self.paper_width // self.columns)
        self.cell_height = self.cell_width * 2
        self.code_pages = {int(number): name for number, name in self.profile.codePages.items()}

    # public -----------------------------------------------------------------
    def render(self, data: bytes) -> RenderResult:
        self._reset()
        self.blocks: list[Image.Image] = []
        self.result_lines: list[str] = []
        self.kicks = 0
        self.cuts = 0
        self._run(bytes(data))
        self._flush_line(force=False)
        return RenderResult(self._compose(), self.result_lines, self.kicks, self.cuts)

    # state ------------------------------------------------------------------
    def _reset(self) -> None:
        self.codec = python_codec(self.code_pages.get(0, "CP437"))
        self.align = 0
        self.style = Style()
        self.line: list[tuple[str, Style]] = []
        self.line_align = None
        self.line_spacing = self.cell_height + 6
        self.bar_height = 162
        self.bar_width = 3
        self.hri_position = 0
        self.qr = {"size": 3, "level": 48, "data": b""}
        self.graphics = None
        self.image_in_line = False

    # parser -----------------------------------------------------------------
    def _run(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n:
            byte = data[i]
            if byte == 0x0A:
                self._flush_line(force=True)
                i += 1
            elif byte == 0x09:
                self._add_text(" " * (8 - len(self.line) % 8))
                i += 1
            elif byte == ESC:
                i = self._esc(data, i + 1)
            elif byte == GS:
                i = self._gs(data, i + 1)
            elif byte == DLE:
                # DLE EOT n / DLE ENQ n are real-time queries; DLE DC4 fn a b
                i += 5 if i + 1 < n and data[i + 1] == 0x14 else 3
            elif byte == FS:
                i += 4 if i + 1 < n and data[i + 1] == ord("p") else 2
            elif byte < 0x20:
                i += 1
            else:
                start = i
                while i < n and data[i] >= 0x20 and data[i] not in (0x7F,):
                    i += 1
                self._add_text(data[start:i].decode(self.codec, errors="replace"))
                if i < n and data[i] == 0x7F:
                    i += 1

    def _esc(self, data: bytes, i: int) -> int:
        if i >= len(data):
            return i
        command, arg = chr(data[i]), data[i + 1] if i + 1 < len(data) else 0
        if command == "@":
            self._flush_line(force=False)
            self._reset()
            return i + 1
        if command == "!":
            self.style = replace(self.style, font_b=bool(arg & 1), bold=bool(arg & 8),
                                 height=2 if arg & 0x10 else 1, width=2 if arg & 0x20 else 1,
                                 underline=bool(arg & 0x80))
        elif command in "EG":
            self.style = replace(self.style, bold=bool(arg & 1))
        elif command == "-":
            self.style = replace(self.style, underline=arg in (1, 2, 49, 50))
        elif command == "a":
            self.align = {0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(arg, 0)
        elif command == "t":
            self.codec = python_codec(self.code_pages.get(arg, "CP437"))
        elif command == "M":
            self.style = replace(self.style, font_b=arg in (1, 49))
        elif command == "d":
            self._flush_line(force=bool(self.line))
            self._feed(arg * self.line_spacing)
        elif command == "J":
            self._flush_line(force=bool(self.line))
            self._feed(arg)
        elif command == "3":
            self.line_spacing = max(arg, 1)
        elif command == "2":
            self.line_spacing = self.cell_height + 6
            return i + 1
        elif command == "p":
            self.kicks += 1
            return i + 4
        elif command == "*":
            return self._column_image(data, i + 1)
        elif command == "D":
            while i < len(data) and data[i] != 0:
                i += 1
            return i + 1
        elif command in "B(":
            if command == "(":
                return i + 4 + data[i + 2] + data[i + 3] * 256 - 1
            return i + 3
        elif command == "c":
            return i + 3
        elif command in "=RVr{U ":
            pass
        else:
            return i + 1
        return i + 2

    def _gs(self, data: bytes, i: int) -> int:
        if i >= len(data):
            return i
        command, arg = chr(data[i]), data[i + 1] if i + 1 < len(data) else 0
        if command == "!":
            self.style = replace(self.style, width=(arg >> 4) + 1, height=(arg & 0x0F) + 1)
        elif command == "B":
            self.style = replace(self.style, invert=bool(arg & 1))
        elif command == "h":
            self.bar_height = max(arg, 1)
        elif command == "w":
            self.bar_width = max(arg, 1)
        elif command == "H":
            self.hri_position = arg % 48 if arg >= 48 else arg
        elif command == "V":
            self._flush_line(force=bool(self.line))
            self._cut()
            return i + 2 if arg in (0, 1, 48, 49) else i + 3
        elif command == "k":
            return self._barcode(data, i + 1)
        elif command == "v":
            return self._raster(data, i + 1)
        elif command == "(":
            return self._gs_paren(data, i + 1)
        elif command in "LWP":
            return i + 3
        elif command in "bfIar|E":
            pass
        else:
            return i + 1
        return i + 2

    # text -------------------------------------------------------------------
    def _add_text(self, text: str) -> None:
        if not self.line:
            self.line_align = self.align
        self.line.extend((char, self.style) for char in text)

    def _flush_line(self, force: bool) -> None:
        if not self.line:
            if force and not self.image_in_line:
                self._feed(self.line_spacing)
            self.image_in_line = False
            return
        text = "".join(char for char, _ in self.line)
        self.result_lines.append(text)
        height = max(self.cell_height * style.height for _, style in self.line)
        width = sum(self.cell_width * style.width for _, style in self.line)
        block = Image.new("L", (self.paper_width, max(height, self.line_spacing)), 255)
        x = {0: 0, 1: (self.paper_width - width) // 2, 2: self.paper_width - width}[self.line_align or 0]
        for char, style in self.line:
            glyph = self._glyph(char, style)
            block.paste(glyph, (max(x, 0), height - glyph.height))
            x += glyph.width
        self.blocks.append(block)
        self.line = []

    def _glyph(self, char: str, style: Style) -> Image.Image:
        cell_w = self.cell_width * 3 // 4 if style.font_b else self.cell_width
        font, synthetic_bold = cell_font(cell_w, self.cell_height, style.bold)
        ink, paper = (255, 0) if style.invert else (0, 255)
        glyph = Image.new("L", (cell_w, self.cell_height), paper)
        draw = ImageDraw.Draw(glyph)
        draw.text((0, 0), char, font=font, fill=ink)
        if synthetic_bold:
            draw.text((1, 0), char, font=font, fill=ink)
        if style.underline:
            draw.line([(0, self.cell_height - 2), (cell_w, self.cell_height - 2)], fill=ink, width=2)
        if style.width > 1 or style.height > 1:
            glyph = glyph.resize((cell_w * style.width, self.cell_height * style.height), Image.NEAREST)
        return glyph

    def _feed(self, dots: int) -> None:
        if dots > 0:
            self.blocks.append(Image.new("L", (self.paper_width, dots), 255))

    def _cut(self) -> None:
        self.cuts += 1
        block = Image.new("L", (self.paper_width, 12), 255)
        draw = ImageDraw.Draw(block)
        for x in range(0, self.paper_width, 12):
            draw.line([(x, 6), (x + 6, 6)], fill=128, width=2)
        self.blocks.append(block)

    # pictures ---------------------------------------------------------------
    def _place(self, picture: Image.Image) -> None:
        self._flush_line(force=False)
        if picture.width > self.paper_width:
            picture = picture.crop((0, 0, self.paper_width, picture.height))
        block = Image.new("L", (self.paper_width, picture.height), 255)
        x = {0: 0, 1: (self.paper_width - picture.width) // 2, 2: self.paper_width - picture.width}[self.align]
        block.paste(picture, (x, 0))
        self.blocks.append(block)

    def _barcode(self, data: bytes, i: int) -> int:
        system_number = data[i]
        if system_number < 65:  # function A: NUL-terminated
            end = data.index(0, i + 1) if 0 in data[i + 1:] else len(data)
            payload, next_index = data[i + 1:end], end + 1
        else:
            length = data[i + 1]
            payload, next_index = data[i + 2:i + 2 + length], i + 2 + length
        system = BARCODE_SYSTEMS.get(system_number, "unknown")
        text = barcode_text(system, payload)
        modules = barcode_modules(system, text)
        if modules is None:
            self._add_text(f"[{system} {text}]")
            self._flush_line(force=True)
            return next_index
        parts = [draw_bars(modules, self.bar_width, self.bar_height)]
        hri = self._hri(text) if self.hri_position else None
        if hri is not None and self.hri_position in (1, 3):
            parts.insert(0, hri)
        if hri is not None and self.hri_position in (2, 3):
            parts.append(hri)
        self._place(_stack(parts))
        return next_index

    def _hri(self, text: str) -> Image.Image:
        width = self.cell_width * len(text)
        image = Image.new("L", (width, self.cell_height), 255)
        for index, char in enumerate(text):
            image.paste(self._glyph(char, Style()), (index * self.cell_width, 0))
        return image

    def _raster(self, data: bytes, i: int) -> int:
        # GS v 0 m xL xH yL yH d1...dk
        mode = data[i + 1]
        width_bytes = data[i + 2] + data[i + 3] * 256
        height = data[i + 4] + data[i + 5] * 256
        start = i + 6
        picture = raster_image(width_bytes, height, data[start:start + width_bytes * height])
        if mode & 1 or mode & 2:
            picture = picture.resize((picture.width * (2 if mode & 1 else 1),
                                      picture.height * (2 if mode & 2 else 1)), Image.NEAREST)
        self._place(picture)
        return start + width_bytes * height

    def _column_image(self, data: bytes, i: int) -> int:
        mode, width = data[i], data[i + 1] + data[i + 2] * 256
        dots_high = 24 if mode in (32, 33) else 8
        size = width * dots_high // 8
        self._place(column_image(width, dots_high, data[i + 3:i + 3 + size]))
        # the LF after an ESC * strip prints that strip rather than feeding a blank line
        self.image_in_line = True
        return i + 3 + size

    def _gs_paren(self, data: bytes, i: int) -> int:
        # GS ( x pL pH payload
        kind = chr(data[i])
        length = data[i + 1] + data[i + 2] * 256
        payload = data[i + 3:i + 3 + length]
        if kind == "k" and payload[:1] == b"1":
            self._qr_command(payload)
        elif kind == "L" and len(payload) >= 2:
            self._graphics_command(payload)
        return i + 3 + length

    def _qr_command(self, payload: bytes) -> None:
        function = payload[1]
        if function == 67:
            self.qr["size"] = payload[2]
        elif function == 69:
            self.qr["level"] = payload[2]
        elif function == 80:
            self.qr["data"] = payload[3:]
        elif function == 81 and self.qr["data"]:
            self._place(draw_qr(self.qr["data"], self.qr["size"], self.qr["level"]))

    def _graphics_command(self, payload: bytes) -> None:
        function = chr(payload[1])
        if function == "p":  # m fn a bx by c xL xH yL yH data
            width = payload[6] + payload[7] * 256
            height = payload[8] + payload[9] * 256
            self.graphics = raster_image((width + 7) // 8, height, payload[10:])
        elif function == "2" and self.graphics is not None:
            self._place(self.graphics)
            self.graphics = None

    def _compose(self) -> Image.Image:
        height = sum(block.height for block in self.blocks) + 2 * MARGIN
        paper = Image.new("L", (self.paper_width + 2 * MARGIN, max(height, 2 * MARGIN + 1)), 255)
        y = MARGIN
        for block in self.blocks:
            paper.paste(block, (MARGIN, y))
            y += block.height
        return paper


def _stack(parts: list[Image.Image]) -> Image.Image:
    width = max(part.width for part in parts)
    image = Image.new("L", (width, sum(part.height for part in parts)), 255)
    y = 0
    for part in parts:
        image.paste(part, ((width - part.width) // 2, y))
        y += part.height
    return image


def render_png(data: bytes, profile: str | None = None, columns: int | None = None) -> bytes:
    """PNG of what ``data`` (raw ESC/POS) prints on a printer with this profile."""
    return EscPosRenderer(profile, columns).render(data).png()
