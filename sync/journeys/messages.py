"""Message templates (Jinja, one file per message with subject/text/html or sms blocks), translated per
language through the shop's Babel catalogues."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.numbers import format_currency
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pos.terminal.i18n import LANGUAGES, TRANSLATIONS, compile_catalogues

TEMPLATES = Path(__file__).resolve().parent / "templates" / "messages"


@lru_cache(maxsize=None)
def _environment(language: str) -> Environment:
    compile_catalogues()
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), extensions=["jinja2.ext.i18n"],
                              undefined=StrictUndefined, trim_blocks=True, keep_trailing_newline=False)
    environment.install_gettext_translations(Translations.load(str(TRANSLATIONS), [language]), newstyle=True)
    return environment


def render(template: str, language: str, values: dict) -> dict:
    """{block name: text} for every block of the template, in ``language``."""
    language = language if language in LANGUAGES else "en"
    loaded = _environment(language).get_template(f"{template}.jinja")
    context = loaded.new_context({**values, "language": language})
    return {name: "".join(block(context)).strip() for name, block in loaded.blocks.items()}


def money(amount: int, currency: str, language: str) -> str:
    return format_currency(amount / 100, currency, locale=language if language != "uk" else "uk_UA")
