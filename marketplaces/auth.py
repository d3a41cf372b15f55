"""Access tokens for the channels.

Credentials come from the caller (the app reads them from the environment).
Nothing here formats a secret into a log line, an exception or a repr.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Mapping

import requests

from marketplaces.errors import ChannelAuthError

# Refresh a little before the channel says the token expires, so a request
# started just before expiry does not arrive with a dead token.
EXPIRY_SKEW_SECONDS = 60.0


class StaticTokenAuth:
    """A long-lived token sent in one header (Shopify's Admin API access token)."""

    def __init__(self, header: str, token: str):
        self._header = header
        self._token = token
        self.refreshes = 0

    def headers(self) -> Mapping[str, str]:
        return {self._header: self._token}

    def invalidate(self) -> None:
        # Nothing to refresh: the next 401 surfaces as ChannelAuthError.
        pass

    def __repr__(self) -> str:
        return f"StaticTokenAuth(header={self._header!r}, token=***)"


class RefreshTokenAuth:
    """OAuth2 ``refresh_token`` grant, shared by Allegro, eBay and Amazon LWA.

    ``client_auth`` is "basic" (client id and secret as HTTP Basic: Allegro,
    eBay) or "body" (in the form body: Amazon LWA). Channels that rotate the
    refresh token (Allegro) hand the new one to ``on_refresh_token`` so the
    caller can persist it; losing it would lock the shop out of the channel.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        client_auth: str = "basic",
        header: str = "Authorization",
        bearer: bool = True,
        scope: str | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        access_token: str | None = None,
        access_token_expires_in: float | None = None,
    ):
        if client_auth not in ("basic", "body"):
            raise ValueError("client_auth must be 'basic' or 'body'")
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._client_auth = client_auth
        self._header = header
        self._bearer = bearer
        self._scope = scope
        self._on_refresh_token = on_refresh_token
        self._timeout = timeout
        self._clock = clock
        self._access_token = access_token
        self._expires_at = (
            clock() + access_token_expires_in if access_token and access_token_expires_in else None
        )
        self._lock = threading.Lock()
        self._http = requests.Session()
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"RefreshTokenAuth(token_url={self.token_url!r}, client_id=***, secrets=***)"

    def _expired(self) -> bool:
        if self._access_token is None:
            return True
        return self._expires_at is not None and self._clock() >= self._expires_at

    def headers(self) -> Mapping[str, str]:
        with self._lock:
            if self._expired():
                self._refresh()
            token = self._access_token
        return {self._header: f"Bearer {token}" if self._bearer else token}

    def invalidate(self) -> None:
        with self._lock:
            self._access_token = None

    def _refresh(self) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        if self._scope:
            form["scope"] = self._scope
        auth = None
        if self._client_auth == "basic":
            auth = (self._client_id, self._client_secret)
        else:
            form["client_id"] = self._client_id
            form["client_secret"] = self._client_secret
        try:
            response = self._http.post(
                self.token_url, data=form, auth=auth, timeout=self._timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise ChannelAuthError(f"token endpoint {self.token_url} unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            # The body may echo what we sent, so only the status is reported.
            raise ChannelAuthError(
                f"token endpoint {self.token_url} answered HTTP {response.status_code}",
                status=response.status_code,
            )
        payload = response.json()
        token = payload.get("access_token")
        if not token:
            raise ChannelAuthError(f"token endpoint {self.token_url} sent no access_token")
        self._access_token = token
        expires_in = payload.get("expires_in")
        self._expires_at = (
            self._clock() + max(0.0, float(expires_in) - EXPIRY_SKEW_SECONDS)
            if expires_in is not None
            else None
        )
        new_refresh = payload.get("refresh_token")
        if new_refresh and new_refresh != self._refresh_token:
            self._refresh_token = new_refresh
            if self._on_refresh_token is not None:
                self._on_refresh_token(new_refresh)
        self.refreshes += 1


def require(credentials: Mapping[str, str], *names: str, channel: str) -> list[str]:
    missing = [n for n in names if not credentials.get(n)]
    if missing:
        raise ValueError(f"{channel}: missing credentials {', '.join(missing)}")
    return [credentials[n] for n in names]
