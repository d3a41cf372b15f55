"""The Mazovia code page (Polish DOS, also known as CP 620/790), which Python does not ship.

Older Polish fiscal printers (POSNET among them) can be set to Mazovia instead of Windows-1250.
It is CP437 with the 18 Polish letters in place of some accented letters and symbols; importing
this module registers the codec as ``mazovia`` (``cp620`` and ``cp790`` too), so
``"zażółć".encode("mazovia")`` works anywhere, including in device URLs (``?encoding=mazovia``).
"""
from __future__ import annotations

import codecs

POLISH = {
    0x86: "ą", 0x8D: "ć", 0x8F: "Ą", 0x90: "Ę", 0x91: "ę", 0x92: "ł", 0x95: "Ć", 0x98: "Ś", 0x9C: "Ł",
    0x9E: "ś", 0xA0: "Ź", 0xA1: "Ż", 0xA2: "ó", 0xA3: "Ó", 0xA4: "ń", 0xA5: "Ń", 0xA6: "ź", 0xA7: "ż",
}
NAMES = ("mazovia", "cp620", "cp790")

_decoding = "".join(POLISH.get(byte) or bytes([byte]).decode("cp437") for byte in range(256))
_encoding = codecs.charmap_build(_decoding)


class Codec(codecs.Codec):
    def encode(self, text, errors="strict"):
        return codecs.charmap_encode(text, errors, _encoding)

    def decode(self, data, errors="strict"):
        return codecs.charmap_decode(data, errors, _decoding)


class IncrementalEncoder(codecs.IncrementalEncoder):
    def encode(self, text, final=False):
        return codecs.charmap_encode(text, self.errors, _encoding)[0]


class IncrementalDecoder(codecs.IncrementalDecoder):
    def decode(self, data, final=False):
        return codecs.charmap_decode(data, self.errors, _decoding)[0]


def _search(name: str):
    if name.replace("-", "").replace("_", "").lower() not in NAMES:
        return None
    return codecs.CodecInfo(name="mazovia", encode=Codec().encode, decode=Codec().decode,
                            incrementalencoder=IncrementalEncoder, incrementaldecoder=IncrementalDecoder)


codecs.register(_search)
