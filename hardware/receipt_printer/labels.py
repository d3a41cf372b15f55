"""Words printed on receipts and slips, per receipt language (pl, cs, uk, en)."""
from __future__ import annotations

LANGUAGES = ("pl", "cs", "uk", "en")

_LABELS = {
    "pl": {
        "tax_id": "NIP", "non_fiscal": "NIEFISKALNY", "total": "SUMA", "discount": "Rabat",
        "basket_discount": "Rabat na koszyk", "subtotal": "Suma przed rabatem", "rounding": "Zaokrąglenie",
        "change": "Reszta", "valid_until": "Ważna do", "cashier": "Kasjer", "terminal": "Kasa", "receipt_number": "Paragon nr",
        "vat": "PTU", "vat_total": "Suma PTU", "exempt": "zw.", "net_of_vat": "sprzedaż",
        "x_report": "Raport X", "z_report": "Raport Z", "shift_open": "Otwarcie zmiany",
        "shift_close": "Zamknięcie zmiany", "cash_in": "Wpłata do kasy", "cash_out": "Wypłata z kasy",
        "date": "Data",
        "cash": "Gotówka", "card": "Karta", "voucher": "Bon", "gift_card": "Karta podarunkowa", "transfer": "Przelew", "blik": "BLIK",
        "credit": "Kredyt", "other": "Inna",
    },
    "cs": {
        "tax_id": "IČO", "non_fiscal": "NEFISKÁLNÍ", "total": "CELKEM", "discount": "Sleva",
        "basket_discount": "Sleva na nákup", "subtotal": "Mezisoučet", "rounding": "Zaokrouhlení",
        "change": "Vráceno", "valid_until": "Platná do", "cashier": "Pokladní", "terminal": "Pokladna", "receipt_number": "Účtenka č.",
        "vat": "DPH", "vat_total": "DPH celkem", "exempt": "osvob.", "net_of_vat": "základ",
        "x_report": "X uzávěrka", "z_report": "Z uzávěrka", "shift_open": "Otevření směny",
        "shift_close": "Uzavření směny", "cash_in": "Vklad do pokladny", "cash_out": "Výběr z pokladny",
        "date": "Datum",
        "cash": "Hotovost", "card": "Karta", "voucher": "Poukaz", "gift_card": "Dárková karta", "transfer": "Převod", "blik": "BLIK",
        "credit": "Úvěr", "other": "Jiné",
    },
    "uk": {
        "tax_id": "ЄДРПОУ", "non_fiscal": "НЕФІСКАЛЬНИЙ", "total": "СУМА", "discount": "Знижка",
        "basket_discount": "Знижка на чек", "subtotal": "Проміжна сума", "rounding": "Заокруглення",
        "change": "Решта", "valid_until": "Дійсна до", "cashier": "Касир", "terminal": "Каса", "receipt_number": "Чек №",
        "vat": "ПДВ", "vat_total": "Сума ПДВ", "exempt": "звільн.", "net_of_vat": "база",
        "x_report": "X-звіт", "z_report": "Z-звіт", "shift_open": "Відкриття зміни",
        "shift_close": "Закриття зміни", "cash_in": "Службове внесення", "cash_out": "Службова видача",
        "date": "Дата",
        "cash": "Готівка", "card": "Картка", "voucher": "Ваучер", "gift_card": "Подарункова картка", "transfer": "Переказ", "blik": "BLIK",
        "credit": "Кредит", "other": "Інше",
    },
    "en": {
        "tax_id": "Tax ID", "non_fiscal": "NON-FISCAL", "total": "TOTAL", "discount": "Discount",
        "basket_discount": "Basket discount", "subtotal": "Subtotal", "rounding": "Rounding",
        "change": "Change", "valid_until": "Valid until", "cashier": "Cashier", "terminal": "Till", "receipt_number": "Receipt no.",
        "vat": "VAT", "vat_total": "Total VAT", "exempt": "exempt", "net_of_vat": "net",
        "x_report": "X report", "z_report": "Z report", "shift_open": "Shift opened",
        "shift_close": "Shift closed", "cash_in": "Cash in", "cash_out": "Cash out",
        "date": "Date",
        "cash": "Cash", "card": "Card", "voucher": "Voucher", "gift_card": "Gift card", "transfer": "Transfer", "blik": "BLIK",
        "credit": "Credit", "other": "Other",
    },
}


def label(language: str, key: str) -> str:
    """The word for ``key`` in ``language``; English when the language or word is unknown."""
    words = _LABELS.get(language, _LABELS["en"])
    return words.get(key) or _LABELS["en"].get(key, key)
