"""Barcode and QR rasters drawn from what the ESC/POS bytes ask for.

The virtual printer draws bars itself from python-barcode's module pattern
(so the bar width GS w and height GS h are honoured dot for dot) and
regenerates a native QR code from its stored data with ``qrcode``.
"""
from __future__ import annotations

import barcode
import qrcode
from PIL import Image, ImageDraw

# GS k m: function A (0-6, NUL-terminated) and function B (65-79, length byte)
BARCODE_SYSTEMS = {
    0: "upca", 1: "upce", 2: "ean13", 3: "ean8", 4: "code39", 5: "itf", 6: "codabar",
    65: "upca", 66: "upce", 67: "ean13", 68: "ean8", 69: "code39", 70: "itf", 71: "codabar",
    72: "code93", 73: "code128", 74: "gs1_128",
}

_QR_LEVELS = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
              50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}


def decode_code128_data(data: bytes) -> str:
    """ESC/POS CODE128 data starts with a code set ({A {B {C}; in set C each
    byte is a pair of digits; ``{1`` is FNC1 and ``{{`` a literal brace."""
    text, code_set, i = [], "B", 0
    while i < len(data):
        byte = data[i]
        if byte == ord("{") and i + 1 < len(data):
            marker = chr(data[i + 1])
            i += 2
            if marker in "ABC":
                code_set = marker
            elif marker == "{":
                text.append("{")
            continue  # FNC1..FNC4 and SHIFT carry no human-readable text
        text.append(f"{byte:02d}" if code_set == "C" else chr(byte))
        i += 1
    return "".join(text)


def barcode_text(system: str, data: bytes) -> str:
    if system in ("code128", "gs1_128"):
        return decode_code128_data(data)
    return data.decode("ascii", errors="replace")


def barcode_modules(system: str, text: str) -> str | None:
    """The bar/space pattern ("1" = bar) python-barcode builds, or None if it cannot."""
    try:
        if system == "ean13":
            code = barcode.get_barcode_class("ean13")(text[:12])
        elif system == "ean8":
            code = barcode.get_barcode_class("ean8")(text[:7])
        elif system == "upca":
            code = barcode.get_barcode_class("upca")(text[:11])
        elif system == "code39":
            code = barcode.get_barcode_class("code39")(text, add_checksum=False)
        elif system in ("code128", "gs1_128", "itf", "codabar"):
            code = barcode.get_barcode_class("code128" if system == "gs1_128" else system)(text)
        else:
            return None
        return "".join(code.build())
    except Exception:  # python-barcode rejects data the printer would also refuse
        return None


def draw_bars(modules: str, module_width: int, height: int) -> Image.Image:
    image = Image.new("L", (len(modules) * module_width, height), 255)
    draw = ImageDraw.Draw(image)
    for index, module in enumerate(modules):
        if module == "1":
            x = index * module_width
            draw.rectangle([x, 0, x + module_width - 1, height - 1], fill=0)
    return image


def draw_qr(data: bytes, module_size: int, level: int) -> Image.Image:
    code = qrcode.QRCode(box_size=max(1, module_size), border=4,
                         error_correction=_QR_LEVELS.get(level, qrcode.constants.ERROR_CORRECT_L))
    code.add_data(data.decode("utf-8", errors="replace"))
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def raster_image(width_bytes: int, height: int, data: bytes) -> Image.Image:
    """GS v 0 raster: one bit per dot, most significant bit left, 1 = black."""
    image = Image.frombytes("1", (width_bytes * 8, height), bytes(data))
    return image.convert("L").point(lambda value: 255 - value)


def column_image(width: int, dots_high: int, data: bytes) -> Image.Image:
    """ESC * column image: each column is ``dots_high // 8`` bytes, top bit first."""
    image = Image.new("L", (width, dots_high), 255)
    pixels = image.load()
    per_column = dots_high // 8
    for x in range(width):
        for byte_index in range(per_column):
            offset = x * per_column + byte_index
            byte = data[offset] if offset < len(data) else 0
            for bit in range(8):
                if byte & (0x80 >> bit):
                    pixels[x, byte_index * 8 + bit] = 0
    return image
