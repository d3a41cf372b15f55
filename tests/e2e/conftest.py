"""A real store node on a loopback port and Debian's headless Chromium driving the cashier's page."""
from __future__ import annotations

import contextlib
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import make_test_app, seed_store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCAN_GAP_MS = 250


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    # `make test` compiles them too; a bare pytest run must not show the page in English by accident.
    from pos.terminal.i18n import compile_catalogues
    compile_catalogues()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-chromium (never a downloaded browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class StoreApi:
    """The node's API over real HTTP, logged in as a cashier."""

    def __init__(self, base_url: str, login="demo", pin="1234", terminal="T1"):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, whatever proxy the environment names
        response = self.http.post(f"{base_url}/api/v1/auth/login",
                                  json={"login": login, "pin": pin, "terminal": terminal}, timeout=10)
        assert response.status_code == 201, response.text
        self.http.headers["Authorization"] = "Bearer " + response.json()["token"]

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=10)


@dataclass
class LiveStore:
    url: str
    app: object
    outside_requests: list = field(default_factory=list)

    def api(self, **login) -> StoreApi:
        return StoreApi(self.url, **login)


@pytest.fixture
def live_store(sqlite_template, tmp_path, pin_hashes):
    path = tmp_path / "pos.sqlite3"
    shutil.copyfile(sqlite_template, path)
    # Playwright's keys can arrive tens of milliseconds apart on a busy CI machine; a real scanner's never do.
    app = make_test_app(f"sqlite:///{path}", tmp_path, POS_SCAN_GAP_MS=SCAN_GAP_MS)
    seed_store(app, pin_hashes)
    with serving(app) as store:
        yield store


@contextlib.contextmanager
def serving(app):
    """The app served on a loopback port for as long as the block runs; its database is let go after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-store", daemon=True)
    thread.start()
    try:
        yield LiveStore(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join()
        app.extensions["pos.db"].dispose()


def store_only_tab(browser, live_store, **context_options):
    """A fresh browser context and tab (own sessionStorage) that may load nothing but the store node itself;
    the tab's script errors collect in ``tab.script_errors``."""
    context = browser.new_context(**context_options)
    store_host = urlsplit(live_store.url).netloc

    def only_the_store(route):
        if urlsplit(route.request.url).netloc == store_host:
            route.continue_()
        else:
            live_store.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_store)
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda error: script_errors.append(str(error)))
    tab.script_errors = script_errors
    return context, tab


@pytest.fixture
def page(browser, live_store):
    """A fresh browser tab (own sessionStorage) that may load nothing but the store node itself."""
    context, tab = store_only_tab(browser, live_store, viewport={"width": 1366, "height": 768})
    yield tab
    context.close()
    assert tab.script_errors == [], tab.script_errors
    assert live_store.outside_requests == [], "the page must not fetch anything from outside the store node"
