"""Load per courier per day as an SVG heat map with the numbers written in.

Rows are couriers, columns days; a cell's shade is its share of the courier's stop capacity,
red when over it, grey when the courier is off. Row and column totals frame the grid. Built
with ElementTree, so courier names and labels are escaped however odd they are.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Callable, Iterable, Sequence
from xml.etree import ElementTree as ET

from pos.dispatch.couriers import Courier
from pos.dispatch.results import Assignment

SVG_NS = "http://www.w3.org/2000/svg"
CELL_W, CELL_H = 64, 30
HEADER_H, TITLE_H = 34, 30
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _default_day_label(day: date) -> str:
    return day.strftime("%a %d.%m")


def _shade(share: float) -> tuple[str, str]:
    """Fill and text colour: white through to deep blue as the day fills up."""
    share = max(0.0, min(1.0, share))
    light, dark = (239, 246, 255), (30, 64, 175)
    rgb = tuple(round(l + (d - l) * share) for l, d in zip(light, dark))
    return "#%02x%02x%02x" % rgb, "#ffffff" if share > 0.55 else "#111827"


def load_chart_svg(
    assignments: Iterable[Assignment],
    couriers: Sequence[Courier],
    days: Sequence[date],
    *,
    title: str = "Stops per courier and day",
    day_label: Callable[[date], str] = _default_day_label,
) -> str:
    loads = Counter(a.slot for a in assignments)
    name_w = min(260, max([90] + [8 * len(c.name) + 16 for c in couriers]))
    width = name_w + CELL_W * (len(days) + 1) + 10
    height = TITLE_H + HEADER_H + CELL_H * (len(couriers) + 1) + 10

    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "width": str(width), "height": str(height),
        "viewBox": f"0 0 {width} {height}", "role": "img", "font-family": FONT, "font-size": "13",
    })
    ET.SubElement(svg, "title").text = title
    _text(svg, 8, 20, title, weight="bold", size="15")

    top = TITLE_H + HEADER_H
    for col, day in enumerate(days):
        _text(svg, name_w + CELL_W * col + CELL_W / 2, top - 10, day_label(day), anchor="middle", weight="bold")
    _text(svg, name_w + CELL_W * len(days) + CELL_W / 2, top - 10, "Σ", anchor="middle", weight="bold")

    day_totals = Counter()
    for row, courier in enumerate(couriers):
        y = top + CELL_H * row
        _text(svg, 8, y + CELL_H / 2 + 5, courier.name)
        row_total = 0
        for col, day in enumerate(days):
            n = loads[(courier.id, day)]
            row_total += n
            day_totals[day] += n
            _cell(svg, name_w + CELL_W * col, y, courier, day, n, day_label)
        _text(svg, name_w + CELL_W * len(days) + CELL_W / 2, y + CELL_H / 2 + 5, str(row_total),
              anchor="middle", weight="bold")

    y = top + CELL_H * len(couriers)
    _text(svg, 8, y + CELL_H / 2 + 5, "Σ", weight="bold")
    for col, day in enumerate(days):
        _text(svg, name_w + CELL_W * col + CELL_W / 2, y + CELL_H / 2 + 5, str(day_totals[day]),
              anchor="middle", weight="bold")
    _text(svg, name_w + CELL_W * len(days) + CELL_W / 2, y + CELL_H / 2 + 5, str(sum(day_totals.values())),
          anchor="middle", weight="bold")
    return ET.tostring(svg, encoding="unicode")


def _cell(svg, x, y, courier: Courier, day: date, n: int, day_label):
    working = courier.works_on(day)
    if n > courier.max_stops:
        fill, ink, label = "#dc2626", "#ffffff", str(n)
    elif not working:
        fill, ink, label = "#e5e7eb", "#6b7280", str(n) if n else "off"
    else:
        fill, ink = _shade(n / courier.max_stops if courier.max_stops else 1.0)
        label = str(n)
    group = ET.SubElement(svg, "g")
    ET.SubElement(group, "title").text = (
        f"{courier.name} – {day_label(day)}: {n} / {courier.max_stops} stops" if working
        else f"{courier.name} – {day_label(day)}: off"
    )
    ET.SubElement(group, "rect", {
        "x": str(x + 1), "y": str(y + 1), "width": str(CELL_W - 2), "height": str(CELL_H - 2),
        "rx": "3", "fill": fill,
    })
    _text(group, x + CELL_W / 2, y + CELL_H / 2 + 5, label, anchor="middle", fill=ink)


def _text(parent, x, y, text, *, anchor="start", weight=None, size=None, fill="#111827"):
    attrs = {"x": f"{x:g}", "y": f"{y:g}", "text-anchor": anchor, "fill": fill}
    if weight:
        attrs["font-weight"] = weight
    if size:
        attrs["font-size"] = size
    ET.SubElement(parent, "text", attrs).text = text
