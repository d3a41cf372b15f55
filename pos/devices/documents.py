"""What the devices are given: the receipt document, the fiscal receipt and slips, built from the
sale document the API already returns (so the printout and the API never disagree)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hardware.device import DeviceError
from hardware.fiscal import FiscalLine, FiscalReceipt, Payment
from hardware.receipt_printer.labels import label

# a copy must never pass for a second receipt
COPY_WORDS = {"pl": "KOPIA", "cs": "KOPIE", "uk": "КОПІЯ", "en": "COPY"}
PENDING_WORDS = {"pl": "Paragon fiskalny w kolejce", "cs": "Fiskální doklad ve frontě",
                 "uk": "Фіскальний чек у черзі", "en": "Fiscal receipt queued"}
# a PRRO receipt fiscalised offline says so (its fiscal code is one reserved for offline use)
OFFLINE_WORDS = {"pl": "OFFLINE", "cs": "OFFLINE", "uk": "ОФЛАЙН", "en": "OFFLINE"}
FISCAL_NUMBER_WORDS = {"pl": "Nr paragonu fiskalnego", "cs": "Fiskální číslo", "uk": "Фіскальний номер",
                       "en": "Fiscal receipt no."}


def local_time(value: str | dt.datetime, timezone: str) -> str:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def store_block(location) -> dict:
    return {"name": location.name, "address": location.address.replace(", ", "\n", 1), "tax_id": location.tax_id}


def receipt_document(sale: dict, *, location, cashier_name: str, language: str, timezone: str,
                     copy: bool = False, fiscal_details: dict | None = None) -> dict:
    """The receipt printer's document (format: hardware/receipt_printer/layout.py).

    ``fiscal_details``: what the fiscal device reported beyond the number (a PRRO's check link for the QR
    code the tax service verifies, whether it was fiscalised offline)."""
    fiscal = sale.get("fiscal_status") == "confirmed" and not copy
    fiscal_details = fiscal_details or {}
    footer = []
    if sale.get("fiscal_number"):
        footer.append(f"{FISCAL_NUMBER_WORDS.get(language, FISCAL_NUMBER_WORDS['en'])}: {sale['fiscal_number']}")
        if fiscal_details.get("offline"):
            footer.append(OFFLINE_WORDS.get(language, OFFLINE_WORDS["en"]))
    elif sale.get("fiscal_status") in ("pending", "sending", "failed"):
        footer.append(PENDING_WORDS.get(language, PENDING_WORDS["en"]))
    if copy:
        footer.append(f"*** {COPY_WORDS.get(language, COPY_WORDS['en'])} ***")
    return {
        "language": language,
        "currency": sale["currency"],
        "fiscal": fiscal,
        "store": store_block(location),
        "issued_at": local_time(sale["created_at"], timezone),
        "receipt_number": sale["receipt_number"],
        "terminal": sale["terminal"],
        "cashier": cashier_name,
        "sale_id": sale["id"],
        "lines": [{"name": line["name"], "quantity": line["quantity"], "unit": line["unit"],
                   "unit_price": line["unit_price"], "amount": line["amount"], "discount": line["discount"],
                   "vat_letter": line["vat_group"]} for line in sale["lines"]],
        "vat": [{"letter": v["vat_group"], "rate_bp": v["vat_rate_bp"], "gross": v["gross"], "vat": v["vat"]}
                for v in sale["vat"]],
        "total": sale["total"],
        "rounding": sale["rounding"],
        "payments": [{"method": p["method"], "amount": p["amount"], "reference": p.get("reference") or ""}
                     for p in sale["payments"]],
        "change": sale["change"],
        "footer": footer,
        "fiscal_qr": fiscal_details.get("check_url") if sale.get("fiscal_number") else None,
        "gift_cards": sale.get("gift_cards") or [],
    }


_PAYMENT_METHODS = {"cash": "cash", "card": "card", "voucher": "voucher", "transfer": "transfer",
                    "gift_card": "voucher"}
# how a gift card's payment is named where the device prints the form's name (Checkbox's CASHLESS label)
_PAYMENT_NAMES = {"PLN": "Karta podarunkowa", "CZK": "Dárková karta", "UAH": "Подарункова картка"}
GIFT_CARD_SKU = "GIFT-CARD"  # pos.giftcards.till.SKU: a multi-purpose voucher sold is not a supply


def only_gift_cards(sale: dict) -> bool:
    """A sale of gift cards alone has nothing for the fiscal printer: VAT falls due when goods are bought."""
    return bool(sale["lines"]) and all(line.get("sku") == GIFT_CARD_SKU for line in sale["lines"])


def _without_gift_cards(sale: dict, line_discounts):
    """The sale as the fiscal printer sees it: the cards it sold are not on the receipt, and what paid for
    them is taken off the payments (cash first: a card is never paid with a card)."""
    keep = [i for i, line in enumerate(sale["lines"]) if line.get("sku") != GIFT_CARD_SKU]
    if len(keep) == len(sale["lines"]):
        return sale, line_discounts
    cards = sum(line["amount"] for line in sale["lines"] if line.get("sku") == GIFT_CARD_SKU)
    payments, left = [], cards
    for payment in sorted(sale["payments"], key=lambda p: p["method"] != "cash"):
        taken = min(left, payment["amount"])
        left -= taken
        payments.append({**payment, "amount": payment["amount"] - taken})
    if line_discounts and len(line_discounts) == len(sale["lines"]):
        line_discounts = [line_discounts[i] for i in keep]
    return ({**sale, "lines": [sale["lines"][i] for i in keep], "payments": payments,
             "total": sale["total"] - cards}, line_discounts)


def fiscal_receipt(sale: dict, cashier_name: str, line_discounts: list[int] | None = None) -> FiscalReceipt:
    """The sale as the fiscal device records it; the sale id is the idempotency reference.

    ``line_discounts`` are the lines' own discounts: what the sale's lines carry beyond them is their
    share of the basket's discount, which goes to the device once, as a discount on the receipt."""
    sale, line_discounts = _without_gift_cards(sale, line_discounts)
    try:
        own = list(line_discounts) if line_discounts and len(line_discounts) == len(sale["lines"]) else None
        if own is None:
            own = [line["discount"] for line in sale["lines"]]
        lines = tuple(_fiscal_line({**line, "discount": discount, "amount": line["gross"] - discount})
                      for line, discount in zip(sale["lines"], own))
        bill_discount = sum(line["discount"] for line in sale["lines"]) - sum(own)
        payments = tuple(Payment(_PAYMENT_METHODS.get(p["method"], "other"), p["amount"],
                                 _PAYMENT_NAMES.get(sale["currency"]) if p["method"] == "gift_card" else None)
                         for p in sale["payments"] if p["amount"] > 0)
        return FiscalReceipt(reference=sale["id"], lines=lines, total=sale["total"], payments=payments,
                             currency=sale["currency"], cashier=cashier_name, discount=bill_discount)
    except ValueError as exc:
        raise DeviceError("not_fiscalisable", f"The sale cannot be put on a fiscal receipt: {exc}",
                          "Call support; the sale is kept and can be retried once corrected.") from exc


def _fiscal_line(line: dict) -> FiscalLine:
    weighed = line["unit"] == "kg"
    candidate = dict(name=line["name"], quantity=line["quantity"], unit_price=line["unit_price"],
                     vat=line["vat_group"], amount=line["amount"], discount=line["discount"], weighed=weighed,
                     unit="kg" if weighed else None, code=line.get("sku"))
    quantity, unit_price = line["quantity"], line["unit_price"]
    gross = (quantity * unit_price + 500) // 1000 if weighed else quantity * unit_price  # as the printer computes
    if gross != line["gross"]:
        # a price-embedded label fixes the line value itself: one piece at that value is what was sold
        candidate.update(quantity=1, unit_price=line["gross"], weighed=False, unit=None)
    return FiscalLine(**candidate)


def slip_document(kind: str, *, location, terminal_code: str, cashier_name: str, language: str, currency: str,
                  timezone: str, rows: list[dict], number=None, issued_at: str | None = None) -> dict:
    """X/Z reports, shift and cash slips (format: hardware/receipt_printer/reports.py)."""
    return {"kind": kind, "language": language, "currency": currency, "fiscal": False,
            "store": store_block(location), "terminal": terminal_code, "cashier": cashier_name,
            "issued_at": local_time(issued_at or dt.datetime.now(dt.timezone.utc), timezone),
            "number": number, "rows": rows}


def figures_rows(figures: dict, labels: dict) -> list[dict]:
    """Rows of an X/Z report or shift slip from the shift services' figures."""
    rows = [{"label": labels["sales_count"], "value": str(figures.get("sales_count", 0))},
            {"label": labels["sales_total"], "amount": figures.get("sales_total", 0), "bold": True}]
    for vat in figures.get("vat", []):
        rate = "—" if vat["vat_rate_bp"] is None else f"{vat['vat_rate_bp'] / 100:g}%"
        rows.append({"label": f"{vat['vat_group']} {rate}", "amount": vat["gross"]})
    rows.append({"separator": True})
    for method, amount in sorted((figures.get("tenders") or {}).items()):
        rows.append({"label": tender_word(labels, method), "amount": amount})
    for method, amount in sorted((figures.get("refunds") or {}).items()):
        rows.append({"label": f"{labels['refunds']} {tender_word(labels, method)}", "amount": -amount})
    if "expected_cash" in figures:
        rows.append({"label": labels["expected_cash"], "amount": figures["expected_cash"], "bold": True})
    return rows


SLIP_LABELS = {
    "pl": {"sales_count": "Paragony", "sales_total": "Sprzedaż", "refunds": "Zwroty", "expected_cash": "Gotówka w kasie",
           "opening_float": "Pogotowie kasowe", "counted_cash": "Policzono", "over_short": "Różnica",
           "amount": "Kwota", "reason": "Powód", "return": "Zwrot", "sale": "Paragon nr"},
    "cs": {"sales_count": "Účtenky", "sales_total": "Tržba", "refunds": "Vratky", "expected_cash": "Hotovost v pokladně",
           "opening_float": "Počáteční stav", "counted_cash": "Spočítáno", "over_short": "Rozdíl",
           "amount": "Částka", "reason": "Důvod", "return": "Vratka", "sale": "Účtenka č."},
    "uk": {"sales_count": "Чеки", "sales_total": "Продаж", "refunds": "Повернення", "expected_cash": "Готівка в касі",
           "opening_float": "Розмінна сума", "counted_cash": "Пораховано", "over_short": "Різниця",
           "amount": "Сума", "reason": "Причина", "return": "Повернення", "sale": "Чек №"},
    "en": {"sales_count": "Receipts", "sales_total": "Sales", "refunds": "Refunds", "expected_cash": "Cash in drawer",
           "opening_float": "Opening float", "counted_cash": "Counted", "over_short": "Over/short",
           "amount": "Amount", "reason": "Reason", "return": "Return", "sale": "Receipt no."},
}


def slip_labels(language: str) -> dict:
    return {**SLIP_LABELS.get(language, SLIP_LABELS["en"]), "language": language}


def tender_word(labels: dict, method: str) -> str:
    """``cash`` → ``Gotówka``: the printer's own word for a tender in the slip's language."""
    return label(labels.get("language", "en"), method)
