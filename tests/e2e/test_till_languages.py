"""Every string the cashier's page carries is translated in Polish, Czech and Ukrainian (none left in
English, no raw key), and the status bar speaks the page's language."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.day import RAW_KEY, assert_translated, log_in, screenshot, tr

# the same word in English and in that language (a brand, a key name, a unit)
SAME_EVERYWHERE = {"OK", "PIN", "VAT", "PLU", "PLU or code"}


def page_strings(page, url: str, language: str) -> dict:
    page.goto(f"{url}/?lang={language}")
    return json.loads(page.locator("#page-strings").text_content())


def flat(strings, prefix="") -> dict:
    out = {}
    for key, value in (strings.items() if isinstance(strings, dict) else enumerate(strings)):
        if isinstance(value, (dict, list)):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("language", ["pl", "cs", "uk"])
def test_every_page_string_is_translated(page, live_store, language):
    english = flat(page_strings(page, live_store.url, "en"))
    translated = flat(page_strings(page, live_store.url, language))
    assert translated.keys() == english.keys()
    left_in_english = {key: text for key, text in translated.items()
                       if text == english[key] and text not in SAME_EVERYWHERE}
    assert left_in_english == {}


@pytest.mark.parametrize("language", ["pl", "cs", "uk", "en"])
def test_the_status_bar_speaks_the_tills_language(page, live_store, language):
    log_in(page, live_store, language)
    devices = page.locator("#device-status")
    sync = page.locator("#sync-status")
    # a till with no devices set up still lists its fiscal printer (off): the sale goes out non-fiscal
    expect(devices).to_have_text(f"{tr(language, 'devices')}: {tr(language, 'fiscal printer')}: {tr(language, 'off')}")
    expect(sync).to_have_text(f"{tr(language, 'sync')}: {tr(language, 'this node works alone (no head office)')}")
    assert not RAW_KEY.search(devices.inner_text() + " " + sync.inner_text())
    assert_translated(page, language)
    screenshot(page, "till", language)
