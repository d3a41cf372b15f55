"""Helpers for the till's day flows in every language: log in in a language, what a msgid reads in it,
and the check that what the page shows is translated (no raw key, no English left in another language)."""
from __future__ import annotations

import functools
import re

from babel.support import Translations
from playwright.sync_api import expect

from pos.terminal.i18n import TRANSLATIONS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_cashier_page import log_in_and_open_shift

LANGUAGES = ("pl", "cs", "uk", "en")
SYMBOLS = {"PLN": "zł", "CZK": "Kč", "UAH": "₴"}
# where the page speaks to the cashier
SPOKEN = ("#message, #error-text, dialog[open] .inline-error, dialog[open] h2, dialog[open] .hint, #printout-message, "
          "#device-status, #sync-status")
RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b|\{\w+\}|^[a-z]+(-[a-z]+)+$")


@functools.cache
def catalogue(language: str) -> Translations:
    from pos.terminal.i18n import compile_catalogues
    compile_catalogues()
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


@functools.cache
def english_msgids() -> frozenset:
    from babel.messages.pofile import read_po
    with (TRANSLATIONS / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return frozenset(m.id for m in read_po(po) if isinstance(m.id, str) and len(m.id) > 3)


def tr(language: str, msgid: str, **values) -> str:
    text = catalogue(language).gettext(msgid)
    if language != "en":
        assert text != msgid, f"{msgid!r} has no {language} translation"
    return text % values if values and "%(" in text else text.format(**values) if values else text


def log_in(page, live_store, language: str, terminal: str = "T1") -> None:
    """The till speaks ``language`` (its own setting, applied at login)."""
    from sqlalchemy import update

    from pos.stores.models import Terminal
    with live_store.app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Terminal).where(Terminal.code == terminal).values(language=language))
        uow.commit()
    log_in_and_open_shift(page, live_store.url, terminal)
    expect(page.locator("html")).to_have_attribute("lang", language)


def assert_translated(page, language: str) -> None:
    """Nothing the page says is a raw key, an unfilled {placeholder}, or (outside English) an English msgid."""
    for text in page.locator(SPOKEN).all_inner_texts():
        text = text.strip()
        if not text or text in ("–",):
            continue
        assert not RAW_KEY.search(text), f"raw key or placeholder on the page: {text!r}"
        if language != "en":
            assert text not in english_msgids(), f"English left in the {language} page: {text!r}"


def screenshot(page, name: str, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{language}.png"))
