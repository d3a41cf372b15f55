"""/api/v1/docs: the Swagger UI served by the node itself (a till often has no internet), showing the whole
document at /api/v1/openapi.json."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from tests.conftest import make_test_app


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value.strip() for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture
def client(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'docs.sqlite3'}", tmp_path)
    yield app.test_client()
    app.extensions["pos.db"].dispose()


def _page_and_assets(client, path):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    parser = _Assets()
    parser.feed(html)
    return html, [urljoin(f"http://localhost{path}", url) for url in parser.urls if not url.startswith("data:")]


def test_the_docs_index_links_the_swagger_ui(client):
    assert client.get("/api/v1/docs").status_code in (200, 308)
    html, assets = _page_and_assets(client, "/api/v1/docs/")
    assert "swagger" in html
    for url in assets:
        assert client.get(url.removeprefix("http://localhost")).status_code == 200, url


def test_the_swagger_ui_and_every_asset_it_loads_come_from_the_node(client):
    html, assets = _page_and_assets(client, "/api/v1/docs/swagger")
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    assert any(url.endswith("swagger-ui.css") for url in assets)
    for url in assets:
        assert url.startswith("http://localhost/api/v1/docs/"), f"{url} is not served by the node"
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200 and len(response.data) > 1000, url
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_the_ui_shows_the_whole_document(client):
    html, _ = _page_and_assets(client, "/api/v1/docs/swagger")
    assert '"url": "/api/v1/openapi.json"' in html or '"url":"/api/v1/openapi.json"' in html
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["info"]["title"] == "POS store node API" and "/api/v1/auth/login" in document["paths"]
