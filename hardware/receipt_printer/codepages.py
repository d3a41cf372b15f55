"""Which printer code page each receipt language needs.

Printers know a handful of 8-bit code pages, numbered differently per model
(the python-escpos capability profile holds the numbers).  We pick the page
that covers the language's letters completely, select it with ESC t at the
start of every job, and let python-escpos switch pages only for a stray
character the language page lacks.
"""
from __future__ import annotations

from escpos.magicencode import Encoder

from hardware.transliteration import printable

# Full coverage first: CP852 has every Polish and Czech letter; for Ukrainian
# only CP1251 and CP1125 have Ґ/ґ and І/і (CP866 lacks both).
LANGUAGE_CODE_PAGES = {
    "pl": ("CP852", "ISO_8859-2", "CP1250"),
    "cs": ("CP852", "ISO_8859-2", "CP1250"),
    "uk": ("CP1251", "CP1125", "CP866", "CP855"),
    "en": ("CP437", "CP852", "CP1251"),
}


class LanguageEncoder(Encoder):
    """python-escpos's encoder, but trying the language's pages before the
    profile's lowest-numbered ones, so a Polish text never hops to CP437."""

    def __init__(self, codepage_map: dict, preferred: tuple[str, ...]):
        super().__init__(codepage_map)
        self.preferred = [name for name in preferred if name in codepage_map]

    def find_suitable_encoding(self, char):
        for name in self.preferred:
            if self.can_encode(name, char):
                return name
        return super().find_suitable_encoding(char)

    def printable(self, text: str) -> str:
        """``text`` with what no page of the printer has (an emoji, a script it lacks, a line feed inside
        a name) transliterated (hardware.transliteration) instead of printed as '?'."""
        return printable(text, lambda char: " " <= char and self.find_suitable_encoding(char) is not None,
                         squeeze=False)


def code_page_for(language: str, supported: dict) -> str:
    """The first page of the language's list the printer supports (``supported``
    maps page name → ESC t number, from the profile)."""
    for name in LANGUAGE_CODE_PAGES.get(language, LANGUAGE_CODE_PAGES["en"]):
        if name in supported:
            return name
    return "CP437" if "CP437" in supported else next(iter(supported))


def python_codec(page_name: str) -> str:
    """The Python codec for a python-escpos page name, for decoding what was sent."""
    from escpos.codepages import CodePages

    data = CodePages.get_encoding(page_name)
    return data.get("python_encode") or page_name.lower().replace("_", "-")
