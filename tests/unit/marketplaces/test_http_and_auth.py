"""Retry-After parsing, refresh-token auth against a real token endpoint on 127.0.0.1, the registry."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from marketplaces import available_channels, get_client
from marketplaces.auth import RefreshTokenAuth, StaticTokenAuth
from marketplaces.errors import ChannelAuthError
from marketplaces.http import retry_after_seconds


def test_retry_after_seconds_and_http_date():
    now = dt.datetime(2025, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds("0.5", now) == 0.5
    assert retry_after_seconds("Thu, 01 May 2025 12:00:07 GMT", now) == 7.0
    assert retry_after_seconds("Thu, 01 May 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("-4", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def token_server():
    """Only the shared token endpoint of the fakes: it needs no published spec."""
    from marketplaces.fakes.base import FakeServer
    from marketplaces.fakes.oauth import TokenIssuer

    class TokenOnly(FakeServer):
        channel = "token"
        token_path = "/token"

        def extra_response(self, request):
            return self.json_response({"error": "no API here"}, 404)

    server = TokenOnly()
    server.tokens = TokenIssuer("cid", "very-secret", "refresh-0", rotate_refresh_token=True, expires_in=600)
    server.start()
    yield server
    server.stop()


def test_refresh_happens_on_first_use_on_expiry_and_rotates_the_refresh_token(token_server, caplog):
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    saved: list[str] = []
    auth = RefreshTokenAuth(
        token_server.token_url, "cid", "very-secret", "refresh-0",
        on_refresh_token=saved.append, clock=clock,
    )
    first = auth.headers()["Authorization"]
    assert first == "Bearer access-1"
    clock.now += 500  # within expires_in minus the skew
    assert auth.headers()["Authorization"] == "Bearer access-1"
    clock.now += 60
    assert auth.headers()["Authorization"] == "Bearer access-2"
    auth.invalidate()
    assert auth.headers()["Authorization"] == "Bearer access-3"
    assert saved == ["refresh-1", "refresh-2", "refresh-3"] and auth.refreshes == 3
    logged = caplog.text + repr(auth)
    assert "very-secret" not in logged and "refresh-2" not in repr(auth)


def test_refused_credentials_raise_without_echoing_the_secret(token_server):
    auth = RefreshTokenAuth(token_server.token_url, "cid", "wrong-secret", "refresh-0")
    with pytest.raises(ChannelAuthError) as caught:
        auth.headers()
    assert caught.value.status == 401 and "wrong-secret" not in str(caught.value)
    body_auth = RefreshTokenAuth(token_server.token_url, "cid", "very-secret", "refresh-0", client_auth="body")
    with pytest.raises(ChannelAuthError):
        body_auth.headers()  # this endpoint wants HTTP Basic


def test_amazon_style_header_without_bearer_and_static_shopify_token():
    auth = RefreshTokenAuth("http://127.0.0.1:9/none", "c", "s", "r", header="x-amz-access-token", bearer=False,
                            access_token="given", access_token_expires_in=100)
    assert auth.headers() == {"x-amz-access-token": "given"}
    static = StaticTokenAuth("X-Shopify-Access-Token", "shpat_secret")
    assert static.headers() == {"X-Shopify-Access-Token": "shpat_secret"} and "shpat_secret" not in repr(static)


def test_registry_builds_each_channel_and_checks_configuration():
    assert {"allegro", "amazon", "ebay", "shopify"} <= set(available_channels())
    client = get_client("ebay", "http://127.0.0.1:9", {"client_id": "a", "client_secret": "b", "refresh_token": "c"})
    assert client.channel == "ebay" and client.session.base_url == "http://127.0.0.1:9"
    with pytest.raises(KeyError):
        get_client("rozetka", "http://127.0.0.1:9", {})
    with pytest.raises(ValueError, match="refresh_token"):
        get_client("allegro", "http://127.0.0.1:9", {"client_id": "a", "client_secret": "b"})
    with pytest.raises(ValueError, match="location_id"):
        get_client("shopify", "http://127.0.0.1:9", {"access_token": "t"})
    with pytest.raises(ValueError, match="seller_id"):
        get_client("amazon", "http://127.0.0.1:9", {"client_id": "a", "client_secret": "b", "refresh_token": "c"})


def _answer(status: int, body: bytes = b"", headers: dict | None = None, method: str = "GET",
            url: str = "https://sp.example/orders/v0/orders/405-1/orderItems"):
    import requests

    response = requests.Response()
    response.status_code, response._content = status, body
    response.headers.update(headers or {})
    response.request = requests.Request(method, url).prepare()
    return response


def test_amazon_rate_header_paces_an_operation_only_after_it_was_throttled():
    from marketplaces.http import RateHeaderThrottle

    clock = Clock()
    throttle = RateHeaderThrottle(clock=clock)
    one, other = "https://sp.example/orders/v0/orders/405-1/orderItems", "https://sp.example/orders/v0/orders/405-2/orderItems"
    assert throttle.operation("GET", one) == throttle.operation("GET", other)  # order ids are not operations
    throttle.observe("GET", one, _answer(200, headers={"x-amzn-RateLimit-Limit": "2.0"}))
    assert throttle.pace("GET", other) == 0.0  # the burst is spent freely
    refused = _answer(429, url=other)
    throttle.observe("GET", other, refused)
    assert throttle.throttled(refused) and throttle.wait_seconds(refused) == pytest.approx(0.55)
    clock.now += 0.55
    assert throttle.pace("GET", other) == 0.0 and throttle.pace("GET", one) == pytest.approx(0.55)
    clock.now += 60  # left alone long enough to have its burst back
    assert throttle.pace("GET", one) == 0.0
    assert throttle.wait_seconds(_answer(429, headers={"Retry-After": "3"})) == 3.0


def test_shopify_throttled_answer_waits_for_the_points_the_query_needs():
    import json

    from marketplaces.http import QueryCostThrottle

    clock = Clock()
    throttle = QueryCostThrottle(clock=clock)
    cost = {"requestedQueryCost": 500, "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 300,
                                                          "restoreRate": 100}}
    refused = _answer(200, json.dumps({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                       "extensions": {"cost": cost}}).encode())
    assert throttle.throttled(refused) and throttle.wait_seconds(refused) == 2.0
    fine = _answer(200, json.dumps({"data": {}, "extensions": {"cost": cost}}).encode())
    assert not throttle.throttled(fine)
    throttle.observe("POST", "https://shop.example/graphql.json", fine)
    assert throttle.pace("POST", "https://shop.example/graphql.json") == pytest.approx(2.01)
    clock.now += 3
    assert throttle.pace("POST", "https://shop.example/graphql.json") == 0.0
