"""Text a printer can print, whatever language the catalogue is written in.

A fiscal printer prints a fixed set of characters (POSNET: ASCII 32–127 and the Polish letters of
its code page, nothing else); a product named in Ukrainian or Czech, or with typographic quotes,
would otherwise print as ``????`` or be refused.  :func:`printable` keeps every character the
printer can print and replaces the others, character by character:

* Ukrainian Cyrillic → Latin by the national system of 2010 (Resolution of the Cabinet of
  Ministers of Ukraine no. 55 of 27 January 2010): Є Ї Й Ю Я are Ye Yi Y Yu Ya at the start of a
  word and ie i i iu ia elsewhere, "зг" is "zgh", the soft sign and the apostrophe are dropped.
* everything else (other Cyrillic letters, diacritics the page lacks, „quotes“, dashes, €, ™, …)
  → its ASCII equivalent from anyascii (a maintained table covering all of Unicode): ř → r,
  „ → ", – → -, € → EUR.
* control characters (line feeds, tabs, zero-width marks) → a space; runs of spaces collapse.

A character with no equivalent is dropped: nothing unprintable ever reaches the device.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

from anyascii import anyascii

# KMU 2010: (elsewhere, at the start of a word)
_KMU_2010 = {
    "а": ("a", "a"), "б": ("b", "b"), "в": ("v", "v"), "г": ("h", "h"), "ґ": ("g", "g"), "д": ("d", "d"),
    "е": ("e", "e"), "є": ("ie", "ye"), "ж": ("zh", "zh"), "з": ("z", "z"), "и": ("y", "y"), "і": ("i", "i"),
    "ї": ("i", "yi"), "й": ("i", "y"), "к": ("k", "k"), "л": ("l", "l"), "м": ("m", "m"), "н": ("n", "n"),
    "о": ("o", "o"), "п": ("p", "p"), "р": ("r", "r"), "с": ("s", "s"), "т": ("t", "t"), "у": ("u", "u"),
    "ф": ("f", "f"), "х": ("kh", "kh"), "ц": ("ts", "ts"), "ч": ("ch", "ch"), "ш": ("sh", "sh"),
    "щ": ("shch", "shch"), "ь": ("", ""), "ю": ("iu", "yu"), "я": ("ia", "ya"),
}
_APOSTROPHES = "'’ʼ`"
_SPACES = re.compile(r"\s+")

POLISH_LETTERS = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"


def ukrainian_to_latin(text: str, keep: Callable[[str], bool] = lambda char: False) -> str:
    """Ukrainian Cyrillic letters by KMU 2010 (those ``keep`` accepts stay Cyrillic: a printer with a
    Cyrillic code page prints them); other characters are left as they are."""
    out = []
    previous = ""
    for index, char in enumerate(text):
        if keep(char):
            out.append(char)
            previous = char
            continue
        lower = char.lower()
        if lower in _APOSTROPHES and _is_cyrillic(previous) and _is_cyrillic(text[index + 1:index + 2]):
            continue  # the apostrophe inside a Ukrainian word is not transliterated
        pair = _KMU_2010.get(lower)
        if pair is None:
            out.append(char)
            previous = char
            continue
        word_start = not previous or not (previous.isalpha() or previous in _APOSTROPHES)
        latin = pair[1] if word_start else pair[0]
        if lower == "г" and previous.lower() == "з":
            latin = "gh"
        if char != lower and latin:
            following = text[index + 1:index + 2]
            upper_word = following.isupper() or (not following.isalpha() and previous.isupper())
            latin = latin.upper() if upper_word else latin[0].upper() + latin[1:]
        out.append(latin)
        previous = char
    return "".join(out)


def _is_cyrillic(char: str) -> bool:
    return bool(char) and "\u0400" <= char <= "\u04ff"


def printable(text: str, can_print: Callable[[str], bool], *, squeeze: bool = True) -> str:
    """``text`` with every character ``can_print`` refuses replaced by its nearest printable equivalent;
    ``squeeze`` collapses runs of spaces and trims (a name), without it spacing is kept (a laid-out line)."""
    text = unicodedata.normalize("NFC", text or "")
    text = ukrainian_to_latin(text, can_print)
    out = []
    for char in text:
        if unicodedata.category(char)[0] in "CZ" and char != " ":
            out.append(" ")  # line feeds, tabs, zero-width marks, odd spaces
        elif can_print(char):
            out.append(char)
        else:
            out.append("".join(c for c in anyascii(char) if can_print(c)))
    result = "".join(out)
    return _SPACES.sub(" ", result).strip() if squeeze else result


def ascii_and(letters: str, encoding: str | None = None) -> Callable[[str], bool]:
    """A ``can_print`` for printers that print ASCII 32–126 and ``letters`` (those ``encoding`` can encode)."""
    extra = {letter for letter in letters if encoding is None or _encodable(letter, encoding)}

    def can_print(char: str) -> bool:
        return " " <= char <= "~" or char in extra
    return can_print


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
