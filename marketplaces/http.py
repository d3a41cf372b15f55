"""HTTP to a channel: timeouts, retries with back-off, throttling, token refresh on 401.

Every channel call goes through :class:`ChannelSession`, so the rules for
throttling and flaky networks live in one place and the number of retries is
visible to callers and tests. What "slow down" looks like differs per API
(429 with Retry-After, Amazon's x-amzn-RateLimit-Limit, Shopify's query cost
in a 200 answer); each channel gives its :class:`Throttle`, and the one
retry loop here waits as that rule says.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import threading
import time
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


class Throttle:
    """A channel's rule for being told to slow down; this one is HTTP's: 429 with Retry-After.

    ``throttled`` says whether an answer means "too many requests" (retried, never reported as a
    failure while the retry budget lasts); ``wait_seconds`` how long to wait before the retry (None:
    exponential back-off); ``observe`` learns from every answer and ``pace`` may wait before a
    request, so a client that knows its budget does not run into the limit at all."""

    def throttled(self, response: requests.Response) -> bool:
        return response.status_code == 429

    def wait_seconds(self, response: requests.Response) -> float | None:
        return retry_after_seconds(response.headers.get("Retry-After"))

    def observe(self, method: str, url: str, response: requests.Response) -> None:
        pass

    def pace(self, method: str, url: str) -> float:
        """Seconds to wait before sending this request (0: send now)."""
        return 0.0


_ID_SEGMENT = re.compile(r"/[^/]*\d[^/]*")


class RateHeaderThrottle(Throttle):
    """Amazon SP-API: a 429 carries no Retry-After; each answer's ``x-amzn-RateLimit-Limit`` gives the
    operation's rate (requests a second), i.e. one more request every 1/rate seconds. The burst is
    spent freely; once throttled, requests to that operation are spaced 1/rate apart (with a little
    slack for the network), until the operation has been left alone long enough to refill."""

    HEADER = "x-amzn-RateLimit-Limit"
    SLACK = 1.1
    IDLE_INTERVALS = 10  # this many intervals without a request and the burst is worth spending again

    def __init__(self, clock=time.monotonic):
        self._rates: dict[str, float] = {}
        self._paced: dict[str, float] = {}  # operation -> monotonic time of its last request
        self._lock = threading.Lock()
        self._clock = clock

    @staticmethod
    def operation(method: str, url: str) -> str:
        """One rate per operation: ids in the path (orders, SKUs) do not make a new one."""
        path = url.split("?", 1)[0].split("://", 1)[-1]
        return method + " " + _ID_SEGMENT.sub("/{}", path[path.find("/"):] if "/" in path else path)

    def observe(self, method: str, url: str, response: requests.Response) -> None:
        operation = self.operation(method, url)
        try:
            rate = float(response.headers.get(self.HEADER, ""))
        except ValueError:
            rate = 0.0
        with self._lock:
            if rate > 0:
                self._rates[operation] = rate
            if response.status_code == 429 and "Retry-After" not in response.headers:
                # SP-API's own throttle (an explicit Retry-After is obeyed as it is and paces nothing).
                self._paced.setdefault(operation, self._clock())

    def wait_seconds(self, response: requests.Response) -> float | None:
        explicit = super().wait_seconds(response)
        if explicit is not None:
            return explicit
        request = response.request
        return self._interval(self.operation(request.method or "", request.url or ""))

    def _interval(self, operation: str) -> float | None:
        rate = self._rates.get(operation)
        return self.SLACK / rate if rate else None

    def pace(self, method: str, url: str) -> float:
        operation = self.operation(method, url)
        with self._lock:
            interval = self._interval(operation)
            last = self._paced.get(operation)
            if interval is None or last is None:
                return 0.0
            now = self._clock()
            if now - last > self.IDLE_INTERVALS * interval:
                del self._paced[operation]
                return 0.0
            start = max(now, last + interval)
            self._paced[operation] = start
        return start - now


class QueryCostThrottle(Throttle):
    """Shopify's GraphQL Admin API: a leaky bucket of query cost points. Each answer's
    ``extensions.cost`` tells what the query asked for and what is left (``throttleStatus``:
    maximumAvailable, currentlyAvailable, restoreRate a second). Over budget, Shopify answers 200 with
    an error whose ``extensions.code`` is THROTTLED: wait until the points the query needs are back.
    Before each query we wait likewise if the last one's cost is not back yet (429 is honoured too)."""

    def __init__(self, clock=time.monotonic):
        self._status: tuple[float, float, float, float] | None = None  # (available, rate, last cost, when)
        self._lock = threading.Lock()
        self._clock = clock

    @staticmethod
    def _payload(response: requests.Response) -> dict | None:
        if response.status_code != 200 or b"cost" not in response.content:
            return None
        try:
            payload = response.json()
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def throttled(self, response: requests.Response) -> bool:
        if response.status_code == 429:
            return True
        if b"THROTTLED" not in response.content:
            return False
        payload = self._payload(response) or {}
        errors = payload.get("errors")
        return isinstance(errors, list) and any(
            ((e or {}).get("extensions") or {}).get("code") == "THROTTLED" for e in errors if isinstance(e, dict))

    @staticmethod
    def _cost(payload: dict | None) -> tuple[float, float, float] | None:
        cost = ((payload or {}).get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            return (float(status["currentlyAvailable"]), float(status["restoreRate"]),
                    float(cost["requestedQueryCost"]))
        except (KeyError, TypeError, ValueError):
            return None

    def wait_seconds(self, response: requests.Response) -> float | None:
        if response.status_code == 429:
            return super().wait_seconds(response)
        cost = self._cost(self._payload(response))
        if cost is None or cost[1] <= 0:
            return None
        available, rate, needed = cost
        return max(0.0, (needed - available) / rate)

    def observe(self, method: str, url: str, response: requests.Response) -> None:
        cost = self._cost(self._payload(response))
        if cost is not None:
            with self._lock:
                self._status = (*cost, self._clock())

    def pace(self, method: str, url: str) -> float:
        with self._lock:
            if self._status is None:
                return 0.0
            available, rate, needed, when = self._status
        if rate <= 0:
            return 0.0
        # A point of slack: the bucket was read a moment before we saw the answer.
        short = needed + 1 - (available + rate * (self._clock() - when))
        return max(0.0, short / rate)


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
        throttle: Throttle | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._http = requests.Session()
        self._http.headers.update(default_headers or {})
        self._lock = threading.Lock()
        self.reauth_statuses = reauth_statuses
        self.throttle = throttle or Throttle()
        self.retries = 0
        self.throttled = 0
        self.auth_retries = 0

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def _needs_retry(self, response: requests.Response) -> bool:
        return response.status_code >= 500 or self.throttle.throttled(response)

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            if self.throttle.throttled(response):
                with self._lock:
                    self.throttled += 1
                delay = self.throttle.wait_seconds(response)
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
        delay = self.throttle.pace(method, url)
        if delay > 0:
            time.sleep(min(delay, self.retry.max_retry_after))
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
            retry=retry_if_result(self._needs_retry) | retry_if_exception_type(RETRYABLE_EXCEPTIONS),
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
                f"{method} {url}: " + ("still throttled" if self.throttle.throttled(response)
                                       else f"HTTP {response.status_code}") + " after retries",
                status=response.status_code,
                body=response.text[:500],
            )
        return outcome

    def _attempt(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        response = self._send_once(method, url, dict(kwargs))
        self.throttle.observe(method, url, response)
        return response

    def close(self) -> None:
        self._http.close()
