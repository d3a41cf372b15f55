"""The receipt document (a plain dict from the app) laid out as ESC/POS bytes."""
from __future__ import annotations

import re
from datetime import datetime

from .job import JobWriter
from .labels import label
from .money import format_money, format_quantity, format_rate

_RECEIPT_CODE = re.compile(r"^R-(?P<terminal>.+)-(?P<number>\d+)$")


def receipt_code(document: dict) -> str:
    """What the QR code and CODE128 barcode carry, so a return can scan the receipt back."""
    return f"R-{document.get('terminal', '')}-{int(document['receipt_number'])}"


def parse_receipt_code(code: str) -> tuple[str, int] | None:
    """``"R-T1-42"`` → ``("T1", 42)``; None for anything else (e.g. a product EAN)."""
    match = _RECEIPT_CODE.match(code.strip())
    if not match:
        return None
    return match["terminal"], int(match["number"])


def format_issued_at(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def store_header(job: JobWriter, store: dict | None, language: str) -> None:
    store = store or {}
    if store.get("name"):
        job.text(store["name"], align="center", bold=True, double=True)
    for part in (store.get("address") or "").split("\n"):
        if part:
            job.text(part, align="center")
    if store.get("tax_id"):
        job.text(f"{store.get('tax_id_label') or label(language, 'tax_id')}: {store['tax_id']}",
                 align="center")


def non_fiscal_marker(job: JobWriter, language: str) -> None:
    words = label(language, "non_fiscal")
    if language != "en":
        words = f"{words} / {label('en', 'non_fiscal')}"
    if len(words) + 8 <= job.columns:
        words = f"*** {words} ***"
    job.text(words, align="center", bold=True)


def layout_receipt(document: dict, *, profile=None, columns: int | None = None,
                   codes: str = "both", qr_mode: str = "auto", cut: bool = True) -> bytes:
    """ESC/POS bytes of a receipt document.  ``codes``: both | qr | barcode | none."""
    language = document.get("language") or "en"
    currency = document.get("currency") or "PLN"
    job = JobWriter(profile, language, columns, qr_mode=qr_mode)

    def money(amount: int) -> str:
        return format_money(amount, currency, language)

    fiscal = bool(document.get("fiscal", False))
    store_header(job, document.get("store"), language)
    if not fiscal:
        non_fiscal_marker(job, language)
    job.pair(format_issued_at(document.get("issued_at")),
             f"{label(language, 'receipt_number')} {document.get('receipt_number', '')}")
    job.separator()

    for line in document.get("lines", []):
        _sale_line(job, line, language, money)
    job.separator()

    basket_discount = int(document.get("basket_discount") or 0)
    if basket_discount:
        job.pair(label(language, "subtotal"), money(sum(int(l["amount"]) for l in document.get("lines", []))))
        job.pair(label(language, "basket_discount"), money(-basket_discount))

    vat_groups = document.get("vat") or []
    vat_word = label(language, "vat")
    for group in vat_groups:
        rate = format_rate(group.get("rate_bp"), label(language, "exempt"), language)
        job.columns3(f"{vat_word} {group['letter']} {rate}", money(group["gross"]), money(group["vat"]))
    if vat_groups:
        job.pair(label(language, "vat_total"), money(sum(int(g["vat"]) for g in vat_groups)))
        job.separator()

    job.pair(f"{label(language, 'total')} {currency}", money(document["total"]), bold=True, double=True)
    if document.get("rounding"):
        job.pair(label(language, "rounding"), money(document["rounding"]))
    for payment in document.get("payments", []):
        method = label(language, payment.get("method") or "other")
        if payment.get("reference"):
            method = f"{method} {payment['reference']}"
        job.pair(method, money(payment["amount"]))
    if document.get("change"):
        job.pair(label(language, "change"), money(document["change"]), bold=True)
    job.separator()

    job.pair(f"{label(language, 'cashier')}: {document.get('cashier', '')}",
             f"{label(language, 'terminal')}: {document.get('terminal', '')}")
    if document.get("sale_id"):
        job.text(str(document["sale_id"]), align="center")
    code = receipt_code(document)
    if codes in ("both", "barcode"):
        job.barcode128(code)
    if codes in ("both", "qr"):
        job.qr(code)
    for footer_line in document.get("footer") or []:
        job.text(footer_line, align="center")
    for card in document.get("gift_cards") or []:  # a gift card sold: its code, to scan when it pays
        job.separator()
        job.pair(label(language, "gift_card"), money(card["amount"]), bold=True)
        job.text(card["printed"], align="center")
        job.text(f"{label(language, 'valid_until')} {str(card['expires_at'])[:10]}", align="center")
        job.barcode128(card["code"])
    if document.get("fiscal_qr"):  # the tax authority's check link (Ukraine's PRRO receipts carry it)
        job.qr(document["fiscal_qr"])
    if not fiscal:
        non_fiscal_marker(job, language)
    if cut:
        job.cut()
    return job.output


def _sale_line(job: JobWriter, line: dict, language: str, money) -> None:
    discount = int(line.get("discount") or 0)
    amount = int(line["amount"])
    vat_letter = line.get("vat_letter") or ""
    job.text(line["name"])
    quantity = format_quantity(line["quantity"], line.get("unit", "pcs"), language)
    job.pair(f"  {quantity} x {money(line['unit_price'])}", f"{money(amount + discount)} {vat_letter}".rstrip())
    if discount:
        job.pair(f"  {label(language, 'discount')}", money(-discount))
        job.pair("", f"{money(amount)} {vat_letter}".rstrip())
