from hypothesis import given, strategies as st
import pytest

from pos.catalogue.barcodes import BarcodeError, EmbeddedLayout, classify, parse_layouts, with_check_digit

LAYOUTS = parse_layouts("21PPPPPWWWWWC,28PPPPPMMMMMC")


@given(st.sampled_from(["590", "859", "482"]), st.integers(0, 10**9 - 1))
def test_every_valid_ean13_is_accepted_and_any_single_digit_change_is_refused(prefix, number):
    code = with_check_digit(f"{prefix}{number:09d}")
    assert classify(code, LAYOUTS).kind == "ean13"
    wrong = code[:-1] + str((int(code[-1]) + 3) % 10)
    with pytest.raises(BarcodeError):
        classify(wrong, LAYOUTS)


@given(st.integers(1, 99999), st.integers(1, 99999))
def test_weight_embedded_codes_give_plu_and_grams(plu, grams):
    parsed = classify(with_check_digit(f"21{plu:05d}{grams:05d}"), LAYOUTS)
    assert (parsed.kind, parsed.plu, parsed.grams) == ("weight", plu, grams)


def test_price_embedded_code_and_other_kinds():
    parsed = classify(with_check_digit("280004201299"), LAYOUTS)
    assert (parsed.kind, parsed.plu, parsed.price) == ("price", 42, 1299)
    assert classify(with_check_digit("9638507"), LAYOUTS).kind == "ean8"
    assert classify(with_check_digit("03600029145"), LAYOUTS).kind == "upca"
    assert classify("42", LAYOUTS).kind == "plu"


def test_bad_codes_say_why():
    with pytest.raises(BarcodeError, match="digits only"):
        classify("59012ABC", LAYOUTS)
    with pytest.raises(BarcodeError, match="8, 12 or 13"):
        classify("1234567", LAYOUTS)


def test_layout_templates_are_checked():
    with pytest.raises(ValueError):
        EmbeddedLayout("2PPPPPWWWWWC")
