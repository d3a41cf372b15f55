"""The store's HTTP client for HQ's sync endpoints."""
from __future__ import annotations

import requests


class HqUnreachable(Exception):
    """No answer (refused, timed out, 5xx): try again later, with backoff."""


class HqRefused(Exception):
    """HQ answered but refused (401/403/4xx): retrying the same request will not help until someone acts."""

    def __init__(self, status: int, body):
        super().__init__(f"HQ refused with {status}: {body}")
        self.status = status
        self.body = body


class HqClient:
    def __init__(self, url: str, token: str, timeout: float = 30):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, self.url + path, timeout=(5, self.timeout), **kwargs)
        except requests.RequestException as exc:
            raise HqUnreachable(f"{exc.__class__.__name__}: {exc}") from None
        if response.status_code >= 500:
            raise HqUnreachable(f"HQ answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = response.text[:300]
        if response.status_code >= 400:
            raise HqRefused(response.status_code, body)
        return body

    def push(self, changes: list[dict]) -> dict:
        return self._call("POST", "/api/v1/sync/push", json={"changes": changes})

    def push_body(self, body: bytes) -> dict:
        """push() for a request already encoded ({"changes": [...]} as JSON)."""
        return self._call("POST", "/api/v1/sync/push", data=body, headers={"Content-Type": "application/json"})

    def hello(self, epoch: str, reason: str) -> dict:
        return self._call("POST", "/api/v1/sync/hello", json={"epoch": epoch, "reason": reason})

    def changes(self, after: int, limit: int) -> dict:
        return self._call("GET", "/api/v1/sync/changes", params={"after": after, "limit": limit})

    def close(self) -> None:
        self.session.close()
