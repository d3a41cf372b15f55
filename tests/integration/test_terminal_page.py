"""The cashier's page renders in each terminal language, chosen by query, cookie or the node's country."""
from __future__ import annotations

import re

import pytest

from tests.conftest import make_test_app

# The word for Total, the F4 shortcut's label and the code field's hint, as each catalogue has them.
WORDS = {
    "pl": ("Razem", "Płatność", "Zeskanuj lub wpisz kod i naciśnij Enter"),
    "cs": ("Celkem", "Platba", "Naskenujte nebo zadejte kód a stiskněte Enter"),
    "uk": ("Разом", "Оплата", "Відскануйте або введіть код і натисніть Enter"),
    "en": ("Total", "Payment", "Scan or type a code and press Enter"),
}


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    # `make test` compiles them too; a bare pytest run must not fall back to English by accident.
    from pos.terminal.i18n import compile_catalogues
    compile_catalogues()


def page_language(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_page_speaks_the_language_asked_for(client, language):
    response = client.get(f"/?lang={language}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert page_language(html) == language
    for word in WORDS[language]:
        assert word in html
    for other, words in WORDS.items():
        if other != language and words[0] not in WORDS[language]:
            assert f'<span class="label">{words[0]}</span>' not in html
    # The script's strings come translated in the page too (no second round trip, no build step).
    strings = re.search(r'<script id="page-strings" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert WORDS[language][0] in strings
    assert "cdn" not in html.lower() and "https://" not in html


def test_the_chosen_language_stays_with_the_terminal(client):
    first = client.get("/?lang=uk")
    assert "pos_lang=uk" in first.headers["Set-Cookie"]
    again = client.get("/")
    assert page_language(again.get_data(as_text=True)) == "uk"
    unknown = client.get("/?lang=xx")  # not a language of the page: the terminal's choice stands
    assert page_language(unknown.get_data(as_text=True)) == "uk"


def test_the_default_language_follows_the_country_and_the_setting(app, tmp_path):
    url = app.config["POS_DATABASE_URL"]
    assert page_language(app.test_client().get("/").get_data(as_text=True)) == "pl"
    czech = make_test_app(url, tmp_path, POS_COUNTRY="CZ")
    assert "Celkem" in czech.test_client().get("/").get_data(as_text=True)
    configured = make_test_app(url, tmp_path, POS_COUNTRY="CZ", POS_LANGUAGE="en")
    assert page_language(configured.test_client().get("/").get_data(as_text=True)) == "en"
    for extra in (czech, configured):
        extra.extensions["pos.db"].dispose()


def test_the_page_needs_nothing_from_outside(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
