"""X/Z reports, shift slips and cash in/out slips: a title and label/amount rows.

Slip document (plain dict)::

    {"kind": "x_report",            # x_report | z_report | shift_open | shift_close | cash_in | cash_out
     "title": "Raport X",           # optional, defaults to the kind's word in the language
     "language": "pl", "currency": "PLN", "fiscal": false,
     "store": {...},                 # optional, as on receipts
     "terminal": "T1", "cashier": "demo", "issued_at": "2026-11-23T21:00:00+01:00", "number": 7,
     "rows": [{"label": "Sprzedaż", "amount": 123400},      # money in minor units
              {"label": "Paragony", "value": "37"},          # any other value, printed as is
              {"separator": true}],
     "footer": ["..."]}
"""
from __future__ import annotations

from .job import JobWriter
from .labels import label
from .layout import format_issued_at, non_fiscal_marker, store_header
from .money import format_money


def layout_slip(document: dict, *, profile=None, columns: int | None = None, cut: bool = True) -> bytes:
    language = document.get("language") or "en"
    currency = document.get("currency") or "PLN"
    job = JobWriter(profile, language, columns)
    store_header(job, document.get("store"), language)
    if not document.get("fiscal", False):
        non_fiscal_marker(job, language)
    title = document.get("title") or label(language, document.get("kind") or "x_report")
    if document.get("number") is not None:
        title = f"{title} #{document['number']}"
    job.text(title, align="center", bold=True, double=True)
    job.pair(format_issued_at(document.get("issued_at")),
             f"{label(language, 'terminal')}: {document.get('terminal', '')}")
    if document.get("cashier"):
        job.text(f"{label(language, 'cashier')}: {document['cashier']}")
    job.separator()
    for row in document.get("rows", []):
        if row.get("separator"):
            job.separator()
        elif "amount" in row:
            job.pair(row["label"], format_money(row["amount"], row.get("currency") or currency, language),
                     bold=bool(row.get("bold")))
        else:
            job.pair(row["label"], str(row.get("value", "")), bold=bool(row.get("bold")))
    job.separator()
    for footer_line in document.get("footer") or []:
        job.text(footer_line, align="center")
    if not document.get("fiscal", False):
        non_fiscal_marker(job, language)
    if cut:
        job.cut()
    return job.output
