"""The till's event stream never takes the cashier's token in its URL (access logs and proxies keep URLs):
login leaves it in an HttpOnly cookie scoped to the tills' streams, which the page's EventSource sends."""
from __future__ import annotations

from tests.conftest import login
from tests.integration.devices.conftest import configure_terminal, emulator_urls


def _open(client, path, **kw):
    response = client.get(path, **kw)
    first = next(iter(response.response)) if response.status_code == 200 else b""
    response.close()
    return response, first


def test_login_leaves_the_token_in_an_httponly_cookie_for_the_tills_streams_only(client):
    response = client.post("/api/v1/auth/login", json={"login": "demo", "pin": "1234", "terminal": "T1"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"pos_till={response.get_json()['token']};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/api/v1/terminals/" in cookie


def test_the_page_opens_its_stream_with_the_login_cookie(app, hub, client, tmp_path):
    configure_terminal(app, **emulator_urls(tmp_path, scanner=True))
    login(client)
    response, first = _open(client, "/api/v1/terminals/T1/events")
    assert response.status_code == 200 and first.startswith(b"retry:")


def test_a_token_in_the_url_is_refused(app, hub, tmp_path):
    configure_terminal(app, **emulator_urls(tmp_path, scanner=True))
    token = login(app.test_client()).token
    response, _ = _open(app.test_client(), f"/api/v1/terminals/T1/events?token={token}")
    assert response.status_code == 401


def test_after_logout_the_cookie_opens_nothing(app, hub, client, tmp_path):
    configure_terminal(app, **emulator_urls(tmp_path, scanner=True))
    api = login(client)
    stale = client.get_cookie("pos_till", path="/api/v1/terminals/").value
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert client.get_cookie("pos_till", path="/api/v1/terminals/") is None
    client.set_cookie("pos_till", stale, path="/api/v1/terminals/")  # a copy kept from before the logout
    response, _ = _open(client, "/api/v1/terminals/T1/events")
    assert response.status_code == 401
