"""SMS length is counted before sending: GSM-7 septets (extension characters count two) or UCS-2 units."""
from sync.journeys.sms import measure


def test_plain_latin_text_is_gsm7_and_160_fit_one_part():
    assert measure("A" * 160) == measure("A" * 160).__class__("gsm7", 160, 1)
    assert measure("A" * 161).parts == 2 and measure("A" * 306).parts == 2 and measure("A" * 307).parts == 3


def test_extension_characters_take_two_septets():
    length = measure("Cena 5€ [promo]")
    assert length.encoding == "gsm7" and length.units == len("Cena 5€ [promo]") + 3


def test_polish_czech_and_ukrainian_letters_need_ucs2():
    for text in ("Paczka doręczona", "Zásilka byla doručena", "Посилку доставлено"):
        assert measure(text).encoding == "ucs2"
    assert measure("ż" * 70).parts == 1 and measure("ż" * 71).parts == 2 and measure("ż" * 134).parts == 2
    assert measure("😀").units == 2  # outside the BMP: a surrogate pair
