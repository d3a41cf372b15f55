"""The token endpoint the fakes share (OAuth2 refresh_token grant).

Not part of the published API specs, so it is not spec-validated; it checks
client credentials and refresh tokens the way the real endpoints do.
"""

from __future__ import annotations

import base64
import itertools
import threading

from werkzeug.wrappers import Request


class TokenIssuer:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        rotate_refresh_token: bool = False,
        expires_in: int = 3600,
        client_auth: str = "basic",
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.rotate_refresh_token = rotate_refresh_token
        self.expires_in = expires_in
        self.client_auth = client_auth
        self._valid: set[str] = set()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.issued = 0

    def grant(self, request: Request) -> tuple[int, dict]:
        form = request.form
        if self.client_auth == "basic":
            header = request.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(
                f"{self.client_id}:{self.client_secret}".encode()
            ).decode()
            if header != expected:
                return 401, {"error": "invalid_client", "error_description": "Bad client credentials"}
        elif form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Bad client credentials"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "only refresh_token"}
        with self._lock:
            if form.get("refresh_token") != self.refresh_token:
                return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
            n = next(self._counter)
            access = f"access-{n}"
            self._valid.add(access)
            body = {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": self.expires_in,
            }
            if self.rotate_refresh_token:
                self.refresh_token = f"refresh-{n}"
                body["refresh_token"] = self.refresh_token
            self.issued += 1
            return 200, body

    def is_valid(self, token: str | None) -> bool:
        with self._lock:
            return token in self._valid

    def revoke_access_tokens(self) -> None:
        """Make every issued access token stale, as a channel does when it expires them early."""
        with self._lock:
            self._valid.clear()
