from datetime import date

import pytest

from hardware.gs1 import NotAGs1Code, parse_scan


@pytest.mark.parametrize("code, gtin", [
    ("5901234123457", "5901234123457"),  # EAN-13, GS1 Poland prefix
    ("8594001021505", "8594001021505"),  # EAN-13, GS1 Czech prefix 859
    ("4820000000000", "4820000000000"),  # EAN-13, GS1 Ukraine prefix 482
    ("96385074", "96385074"),            # EAN-8
    ("042100005264", "042100005264"),    # UPC-A
    ("]E05901234123457", "5901234123457"),  # with the symbology identifier a scanner may add
])
def test_plain_retail_codes(code, gtin):
    item = parse_scan(code)
    assert item.gtin == gtin
    assert item.batch is None and item.expiry is None and item.net_weight_grams is None


def test_gs1_128_with_batch_expiry_and_weight():
    item = parse_scan("]C1" + "0107032069804988" + "10ABC123" + "\x1d" + "17261231" + "3103000352")
    assert item.gtin == "07032069804988"
    assert item.gtin13 == "7032069804988"
    assert item.batch == "ABC123"
    assert item.expiry == date(2026, 12, 31)
    assert item.net_weight_grams == 352


def test_datamatrix_with_fnc1_as_group_separator():
    item = parse_scan("]d2" + "0105901234123457" + "17270101" + "10LOT7" + "\x1d" + "3102001250")
    assert item.gtin13 == "5901234123457"
    assert item.expiry == date(2027, 1, 1)
    assert item.batch == "LOT7"
    assert item.net_weight_grams == 12500  # 3102: kg with two decimals, 12,50 kg


def test_human_readable_form_with_parentheses():
    item = parse_scan("(01)05901234123457(17)270131(10)B12(3103)000352")
    assert (item.gtin, item.batch, item.expiry, item.net_weight_grams) == (
        "05901234123457", "B12", date(2027, 1, 31), 352)


def test_expiry_day_zero_means_end_of_month():
    assert parse_scan("01059012341234571727020010X").expiry == date(2027, 2, 28)


@pytest.mark.parametrize("code", ["5901234123458", "hello", "R-T1-42"])
def test_codes_that_are_not_products_are_refused(code):
    with pytest.raises(NotAGs1Code):
        parse_scan(code)
