import pytest

from hardware.receipt_printer import layout_receipt, layout_slip, parse_receipt_code, receipt_code
from hardware.receipt_printer.money import format_money, format_quantity, format_rate

PANGRAMS = {
    "pl": "Żółć gęślą jaźń",
    "cs": "Příliš žluťoučký kůň",
    "uk": "Їжак ґедзь щось",
}


@pytest.mark.parametrize("language", sorted(PANGRAMS))
@pytest.mark.parametrize("profile", ["TM-T88V", "TM-T20II", "NT-5890K", "default"])
def test_national_letters_survive_as_bytes_in_the_selected_code_page(receipt, decode, language, profile):
    receipt["language"] = language
    receipt["lines"][0]["name"] = PANGRAMS[language]
    receipt["footer"] = [PANGRAMS[language].upper()]
    data = layout_receipt(receipt, profile=profile)
    lines = decode(data, profile)
    assert PANGRAMS[language] in lines
    assert PANGRAMS[language].upper() in lines
    assert "Długa" in " ".join(lines)  # the Polish address also prints on a Ukrainian receipt


@pytest.mark.parametrize("language, page, number", [("pl", "CP852", 18), ("cs", "CP852", 18), ("uk", "CP1251", 46)])
def test_job_starts_by_selecting_the_language_code_page(receipt, language, page, number):
    receipt["language"] = language
    data = layout_receipt(receipt, profile="TM-T88V")
    assert data.startswith(b"\x1b@\x1bt" + bytes([number]))


def test_a_profile_numbering_code_pages_differently_gets_its_own_numbers(receipt):
    data = layout_receipt(receipt, profile="NT-5890K")  # CP852 is ESC t 54 on this printer
    assert data.startswith(b"\x1b@\x1bt" + bytes([54]))


def test_polish_receipt_shows_lines_weights_discounts_vat_and_tenders(receipt, decode):
    lines = decode(layout_receipt(receipt, profile="TM-T88V"))
    text = "\n".join(lines)
    assert "Sklep Demo" in lines
    assert "NIP: PL5260250995" in lines
    assert any(line.startswith("  2 x 4,50") and line.endswith("9,00 C") for line in lines)
    assert any(line.startswith("  0,352 kg x 39,90") and line.endswith("14,04 C") for line in lines)
    assert any(line.strip().startswith("Rabat") and line.endswith("-1,00") for line in lines)
    assert any(line.strip() == "13,04 C" for line in lines)
    assert any(line.startswith("PTU A 23%") and "12,30" in line and line.endswith("2,30") for line in lines)
    assert any(line.startswith("PTU E zw.") and "5,00" in line for line in lines)
    assert any(line.startswith("SUMA PLN") and line.endswith("22,04") for line in lines)
    assert any(line.startswith("Karta 1234") and line.endswith("10,00") for line in lines)
    assert any(line.startswith("Gotówka") and line.endswith("15,00") for line in lines)
    assert any(line.startswith("Reszta") and line.endswith("2,96") for line in lines)
    assert any("Kasjer: demo" in line and "Kasa: T1" in line for line in lines)
    assert any("Paragon nr 42" in line and "2026-11-23 15:04:05" in line for line in lines)
    assert "Dziękujemy za zakupy!" in lines
    assert "NIEFISKALNY" not in text


def test_non_fiscal_receipt_is_marked_top_and_bottom(receipt, decode):
    receipt["fiscal"] = False
    lines = decode(layout_receipt(receipt, profile="TM-T88V"))
    marked = [index for index, line in enumerate(lines) if "NIEFISKALNY" in line and "NON-FISCAL" in line]
    assert len(marked) == 2
    assert marked[0] < 5 and marked[1] == len(lines) - 1 or marked[1] >= len(lines) - 3


def test_basket_discount_and_cash_rounding_are_printed(receipt, decode):
    receipt.update(language="cs", currency="CZK", basket_discount=204, total=2000, rounding=-4,
                   payments=[{"method": "cash", "amount": 2000}], change=0)
    lines = decode(layout_receipt(receipt, profile="TM-T88V"))
    assert any(line.startswith("Mezisoučet") and line.endswith("22,04") for line in lines)
    assert any(line.startswith("Sleva na nákup") and line.endswith("-2,04") for line in lines)
    assert any(line.startswith("Zaokrouhlení") and line.endswith("-0,04") for line in lines)
    assert any(line.startswith("CELKEM CZK") and line.endswith("20,00") for line in lines)
    assert any(line.startswith("IČO: ") for line in lines)
    assert not any(line.startswith("Vráceno") for line in lines)


def test_ukrainian_labels(receipt, decode):
    receipt.update(language="uk", currency="UAH")
    receipt["store"]["tax_id"] = "12345678"
    lines = decode(layout_receipt(receipt, profile="TM-T88V"))
    assert "ЄДРПОУ: 12345678" in lines
    assert any(line.startswith("СУМА UAH") and line.endswith("22,04") for line in lines)
    assert any(line.startswith("Решта") for line in lines)
    assert any("Чек № 42" in line for line in lines)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_lines_fit_the_paper_width(receipt, decode, columns):
    receipt["lines"][0]["name"] = "Bardzo długa nazwa towaru, która nie mieści się w jednym wierszu paragonu"
    lines = decode(layout_receipt(receipt, profile="TM-T88V", columns=columns))
    assert max(len(line) for line in lines) <= columns
    assert any(line.startswith("SUMA PLN") and len(line) == columns // 2 for line in lines)


def test_codes_option_leaves_out_barcodes(receipt):
    with_codes = layout_receipt(receipt, profile="TM-T88V")
    without = layout_receipt(receipt, profile="TM-T88V", codes="none")
    assert b"\x1dk" in with_codes and b"\x1d(k" in with_codes
    assert b"\x1dk" not in without and b"\x1d(k" not in without


def test_receipt_code_round_trip(receipt):
    code = receipt_code(receipt)
    assert code == "R-T1-42"
    assert parse_receipt_code(code) == ("T1", 42)
    assert parse_receipt_code("5901234123457") is None


def test_money_and_quantity_formats():
    assert format_money(1230, "PLN", "pl") == "12,30"
    assert format_money(-5, "CZK", "cs") == "-0,05"
    assert format_money(123456, "UAH", "uk") == "1234,56"
    assert format_money(1230, "EUR", "en") == "12.30"
    assert format_quantity(352, "kg", "pl") == "0,352 kg"
    assert format_quantity(1500, "kg", "cs") == "1,500 kg"
    assert format_quantity(3, "pcs") == "3"
    assert format_rate(2300, "zw.") == "23%"
    assert format_rate(550, "zw.") == "5,5%"
    assert format_rate(None, "zw.") == "zw."


def test_x_report_slip_has_title_rows_and_marker(decode):
    slip = {"kind": "x_report", "language": "pl", "currency": "PLN", "terminal": "T1", "cashier": "demo",
            "issued_at": "2026-11-23T21:00:00+01:00", "number": 7,
            "rows": [{"label": "Sprzedaż brutto", "amount": 123400}, {"label": "Paragony", "value": "37"},
                     {"separator": True}, {"label": "Gotówka w szufladzie", "amount": 50000, "bold": True}]}
    lines = decode(layout_slip(slip, profile="TM-T88V"))
    assert "Raport X #7" in lines
    assert any(line.startswith("Sprzedaż brutto") and line.endswith("1234,00") for line in lines)
    assert any(line.startswith("Paragony") and line.endswith("37") for line in lines)
    assert any(line.startswith("Gotówka w szufladzie") and line.endswith("500,00") for line in lines)
    assert any("NIEFISKALNY" in line for line in lines)


def test_shift_slip_title_follows_language(decode):
    slip = {"kind": "shift_close", "language": "uk", "currency": "UAH", "terminal": "K2",
            "rows": [{"label": "Готівка", "amount": 10000}]}
    lines = decode(layout_slip(slip, profile="TM-T88V"))
    assert "Закриття зміни" in lines
    assert any(line.startswith("Готівка") and line.endswith("100,00") for line in lines)
