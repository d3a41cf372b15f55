import io

from pos.catalogue.barcodes import with_check_digit
from pos.catalogue.importer import parse_price, read_rows

VAT = {"A": 2300, "B": 800, "C": 500, "D": 0, "E": None}
GOOD = with_check_digit("590123456789")


def test_bad_rows_are_reported_by_line_with_the_reason():
    text = ("sku,name,unit,vat_group,price,barcodes,plu\n"
            f"A1,Chleb żytni,pcs,C,4.50,{GOOD},\n"
            "A2,,pcs,C,4.50,,\n"
            "A3,Ser,litre,C,4.50,,\n"
            "A4,Ser,kg,Z,4.50,,\n"
            "A5,Ser,kg,A,4.505,,\n"
            "A6,Ser,pcs,A,4.50,5901234567890,\n"
            f"A7,Ser,pcs,A,4.50,{GOOD},\n"
            "A1,Chleb,pcs,C,4.50,,\n")
    rows, bad = read_rows(io.StringIO(text), VAT)
    assert [r.sku for r in rows] == ["A1"]
    reasons = {b.line: b.reason for b in bad}
    assert reasons[3].startswith("name")
    assert reasons[4].startswith("unit")
    assert reasons[5].startswith("vat_group")
    assert reasons[6].startswith("price")
    assert "check digit" in reasons[7]
    assert "already on line 2" in reasons[8]
    assert "already on line 2" in reasons[9]


def test_prices_are_read_exactly():
    assert parse_price("12,99") == 1299
    assert parse_price("0.5") == 50
    assert parse_price("7") == 700
