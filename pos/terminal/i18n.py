"""The terminal's language: Flask-Babel with a per-terminal choice (query, then cookie, then the node's default)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app, request
from flask_babel import Babel

LANGUAGES = ("pl", "cs", "uk", "en")
COOKIE = "pos_lang"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def default_language(config) -> str:
    """POS_LANGUAGE when it names a supported language, else the language of POS_COUNTRY."""
    from pos.countries import country

    configured = (config.get("POS_LANGUAGE") or "").lower()
    if configured in LANGUAGES:
        return configured
    return country(config["POS_COUNTRY"]).language


def requested_language() -> str | None:
    """A supported language asked for by ``?lang=`` or remembered in the terminal's cookie."""
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if candidate and candidate.lower() in LANGUAGES:
            return candidate.lower()
    return None


def select_locale() -> str:
    return requested_language() or default_language(current_app.config)


def init_babel(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each messages.po whose .mo is missing or older, as `make translations` does.

    Written through a temporary file and renamed, so parallel test workers never read half a catalogue."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parts[-3])
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalogue)
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


def operator_language():
    """For `flask …` commands: no request to choose from, so the node's own language (POS_LANGUAGE, else
    the country's)."""
    from flask_babel import force_locale

    return force_locale(default_language(current_app.config))


def say(message: str, **values) -> None:
    """Print an operator's message (a gettext msgid) in the node's language."""
    import click
    from flask_babel import gettext

    with operator_language():
        click.echo(gettext(message, **values))


def refuse(message: str, **values):
    """A command's refusal in the node's language (raise it)."""
    import click
    from flask_babel import gettext

    with operator_language():
        return click.ClickException(gettext(message, **values))
