"""What a printer can print, whatever the catalogue's language: KMU 2010 for Ukrainian, base letters for
diacritics the page lacks, ASCII for typography, nothing unprintable; checked against each code page a
POSNET printer can be set to."""
import codecs

import pytest
from hypothesis import given, strategies as st

import hardware.mazovia  # noqa: F401
from hardware.device import DeviceError
from hardware.fiscal.posnet.driver import PosnetPrinter
from hardware.transliteration import POLISH_LETTERS, ascii_and, printable, ukrainian_to_latin

# examples printed in Resolution no. 55 of the Cabinet of Ministers of Ukraine (27 January 2010)
KMU_2010 = {
    "Алушта": "Alushta", "Андрій": "Andrii", "Борщагівка": "Borshchahivka", "Борисенко": "Borysenko",
    "Вінниця": "Vinnytsia", "Володимир": "Volodymyr", "Гадяч": "Hadiach", "Богдан": "Bohdan",
    "Згурський": "Zghurskyi", "Ґалаґан": "Galagan", "Горгани": "Horhany", "Донецьк": "Donetsk",
    "Єнакієве": "Yenakiieve", "Гаєвич": "Haievych", "Житомир": "Zhytomyr", "Жанна": "Zhanna",
    "Закарпаття": "Zakarpattia", "Медвин": "Medvyn", "Іршава": "Irshava", "Їжакевич": "Yizhakevych",
    "Кадиївка": "Kadyivka", "Йосипівка": "Yosypivka", "Стрий": "Stryi", "Олексій": "Oleksii",
    "Київ": "Kyiv", "Хмельницький": "Khmelnytskyi", "Щербухи": "Shcherbukhy", "Гоща": "Hoshcha",
    "Юрій": "Yurii", "Корюківка": "Koriukivka", "Яготин": "Yahotyn", "Ярошенко": "Yaroshenko",
    "Костянтин": "Kostiantyn", "Знам'янка": "Znamianka", "Феодосія": "Feodosiia", "Розгон": "Rozghon",
}
CODE_PAGES = ("cp1250", "mazovia", "cp852", "iso8859_2")


@pytest.mark.parametrize("ukrainian, latin", KMU_2010.items())
def test_ukrainian_follows_the_national_system_of_2010(ukrainian, latin):
    assert ukrainian_to_latin(ukrainian) == latin


def test_capitals_stay_capitals():
    assert ukrainian_to_latin("ЖИТОМИР") == "ZHYTOMYR"
    assert ukrainian_to_latin("Хліб ЩУКА") == "Khlib SHCHUKA"


@pytest.mark.parametrize("page", CODE_PAGES)
def test_every_polish_letter_prints_and_everything_else_becomes_printable(page):
    can_print = ascii_and(POLISH_LETTERS, page)
    assert printable("Zażółć gęślą jaźń ŻÓŁĆ", can_print) == "Zażółć gęślą jaźń ŻÓŁĆ"
    czech = printable("Řízek ěščřžýáíéůú „Pivo“ – 5 € ™", can_print)
    assert czech == 'Rizek escrzyaieuu "Pivo" - 5 EUR TM'
    assert printable("Сир «Голландський»\nваговий\t100 г", can_print) == "Syr <<Hollandskyi>> vahovyi 100 h"
    for text in ("Яблука Голден", "Кава 🙂 мелена", "Ελληνικά", "日本茶", "x\x00\x07y\u200bz", "Straße"):
        result = printable(text, can_print)
        assert result and all(can_print(char) for char in result), (text, result)
        assert codecs.decode(codecs.encode(result, page), page) == result


@given(st.text())
def test_nothing_unprintable_ever_comes_out(text):
    can_print = ascii_and(POLISH_LETTERS, "mazovia")
    result = printable(text, can_print)
    assert all(can_print(char) for char in result)
    assert result == result.strip() and "  " not in result


def test_mazovia_puts_the_polish_letters_where_the_page_has_them():
    assert "ąćęłńóśźż".encode("mazovia") == bytes([0x86, 0x8D, 0x91, 0x92, 0xA4, 0xA2, 0x9E, 0xA6, 0xA7])
    assert "ĄĆĘŁŃÓŚŹŻ".encode("mazovia") == bytes([0x8F, 0x95, 0x90, 0x9C, 0xA5, 0xA3, 0x98, 0xA0, 0xA1])
    assert bytes(range(32, 256)).decode("mazovia").encode("mazovia") == bytes(range(32, 256))


def test_an_unknown_code_page_in_the_address_is_a_configuration_error_naming_it():
    with pytest.raises(DeviceError) as refused:
        PosnetPrinter("socket://127.0.0.1:9?encoding=klingon")
    assert refused.value.code == "bad_configuration" and "'klingon'" in refused.value.message
    assert "mazovia" in refused.value.action
    assert PosnetPrinter("socket://127.0.0.1:9?encoding=mazovia").encoding == "mazovia"


def test_the_receipt_printer_keeps_what_its_pages_print_and_transliterates_only_the_rest():
    from hardware.receipt_printer.job import JobWriter
    from hardware.receipt_printer.render import EscPosRenderer

    writer = JobWriter("TM-T88V", "uk", columns=60)
    writer.text("Яблука „Голден“ 5 € 🙂\u200bкг")
    printed = EscPosRenderer("TM-T88V", 60).render(writer.printer.output).text_lines
    assert printed == ["Яблука „Голден“ 5 € :slight_smile: кг"]  # Cyrillic stays: the printer has CP1251
    assert "?" not in printed[0]
