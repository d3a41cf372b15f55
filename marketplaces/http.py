"""HTTP to a channel: timeouts, retries with back-off, Retry-After, token refresh on 401.

Every channel call goes through :class:`ChannelSession`, so the rules for
throttling and flaky networks live in one place and the number of retries is
visible to callers and tests.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from marketplaces.errors import ChannelAuthError, ChannelUnavailable

log = logging.getLogger(__name__)

RETRYABLE_EXCEPTIONS = (requests.Timeout, requests.ConnectionError)


class AuthProvider(Protocol):
    def headers(self) -> Mapping[str, str]: ...

    def invalidate(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard we try before telling the caller the channel is unavailable.

    ``max_total_seconds`` bounds the whole call including waits: a Retry-After
    that would push us past it ends the call instead of sleeping.
    """

    max_attempts: int = 6
    max_total_seconds: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 120.0


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _needs_retry(response: requests.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


class ChannelSession:
    """A requests session bound to one channel's base URL and credentials."""

    def __init__(
        self,
        base_url: str,
        auth: AuthProvider | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        reauth_statuses: tuple[int, ...] = (401,),
    ):
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._http = requests.Session()
        self._http.headers.update(default_headers or {})
        self._lock = threading.Lock()
        self.reauth_statuses = reauth_statuses
        self.retries = 0
        self.auth_retries = 0

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            if response.status_code == 429:
                delay = retry_after_seconds(response.headers.get("Retry-After"))
                if delay is not None:
                    return min(delay, self.retry.max_retry_after)
        backoff = wait_exponential(
            multiplier=self.retry.backoff_initial, max=self.retry.backoff_max
        )
        return backoff(state)

    def _count_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.retries += 1
        outcome = state.outcome
        what = (
            type(outcome.exception()).__name__
            if outcome is not None and outcome.failed
            else f"HTTP {outcome.result().status_code}" if outcome is not None else "?"
        )
        log.info("retrying %s after %s (attempt %d)", state.args[1] if len(state.args) > 1 else "", what, state.attempt_number)

    def _send_once(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        auth = self.auth if kwargs.pop("authenticated", True) else None
        auth_headers = auth.headers() if auth else {}
        response = self._http.request(
            method, url, headers={**headers, **auth_headers}, timeout=self.timeout, **kwargs
        )
        if response.status_code in self.reauth_statuses and auth is not None:
            # An access token can be revoked or expire early; one fresh token is worth a try.
            auth.invalidate()
            with self._lock:
                self.auth_retries += 1
            response = self._http.request(
                method,
                url,
                headers={**headers, **auth.headers()},
                timeout=self.timeout,
                **kwargs,
            )
            if response.status_code in self.reauth_statuses:
                raise ChannelAuthError(
                    f"{method} {url}: still unauthorized after a token refresh", status=401,
                    body=response.text[:500],
                )
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with retries; returns the final response unless retries ran out.

        ``authenticated=False`` leaves the access token out (pre-signed upload URLs).
        """
        url = self.url(path)
        retrying = Retrying(
            retry=retry_if_result(_needs_retry) | retry_if_exception_type(RETRYABLE_EXCEPTIONS),
            stop=stop_after_attempt(self.retry.max_attempts)
            | stop_before_delay(self.retry.max_total_seconds),
            wait=self._wait,
            before_sleep=self._count_retry,
            retry_error_callback=lambda state: state.outcome,
            reraise=True,
        )
        outcome = retrying(self._attempt, method, url, kwargs)
        # retry_error_callback hands back the last Future when retries ran out.
        if hasattr(outcome, "failed"):
            if outcome.failed:
                exc = outcome.exception()
                raise ChannelUnavailable(f"{method} {url}: {type(exc).__name__} after retries") from exc
            response = outcome.result()
            raise ChannelUnavailable(
                f"{method} {url}: HTTP {response.status_code} after retries",
                status=response.status_code,
                body=response.text[:500],
            )
        return outcome

    def _attempt(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        return self._send_once(method, url, dict(kwargs))

    def close(self) -> None:
        self._http.close()
