"""A font for the virtual printer's paper: one with Polish, Czech and Cyrillic letters."""
from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _font_file(bold: bool) -> Path | None:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for directory in FONT_DIRS:
        if (directory / name).exists():
            return directory / name
    return None


@functools.lru_cache(maxsize=32)
def cell_font(cell_width: int, cell_height: int, bold: bool = False):
    """The largest font whose glyphs fit a printer character cell.

    DejaVu Sans Mono when installed (Debian fonts-dejavu-core); otherwise
    Pillow's own default font, which has the same coverage in Pillow ≥ 10.1.
    Returns ``(font, synthetic_bold)``: True when bold must be drawn by hand.
    """
    path = _font_file(bold) or _font_file(False)
    synthetic_bold = bold and (path is None or "Bold" not in path.name)
    for size in range(cell_height, 5, -1):
        try:
            font = ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size=size)
        except (OSError, TypeError, AttributeError):
            return ImageFont.load_default(), synthetic_bold  # Pillow without FreeType: fixed bitmap font
        if not hasattr(font, "getlength"):
            return font, synthetic_bold
        ascent, descent = font.getmetrics()
        if font.getlength("W") <= cell_width and ascent + descent <= cell_height + 2:
            return font, synthetic_bold
    return ImageFont.load_default(), synthetic_bold
