"""What every fake channel server shares: the thread, validation bookkeeping, faults."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)


class SpecViolation(Exception):
    """The request is not valid under the published spec."""


@dataclass(frozen=True)
class Rejection:
    method: str
    path: str
    reason: str


@dataclass
class _Fault:
    kind: str  # "throttle" | "fail" | "delay"
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0


class Faults:
    """Misbehaviour for the next API requests (token requests are never affected).

    Each API request takes at most one queued fault, first in first out.
    """

    def __init__(self) -> None:
        self._queue: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self.served = 0

    def throttle(self, times: int = 1, retry_after: str | int | float = "0") -> None:
        """Answer 429 with this Retry-After (seconds, or an HTTP date string)."""
        with self._lock:
            self._queue.extend(_Fault("throttle", 429, str(retry_after)) for _ in range(times))

    def fail(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._queue.extend(_Fault("fail", status) for _ in range(times))

    def delay(self, times: int = 1, seconds: float = 1.0) -> None:
        """Do the work, then answer only after ``seconds``: longer than the client's timeout
        makes it give up on a request that did take effect, which is what retries must survive."""
        with self._lock:
            self._queue.extend(_Fault("delay", seconds=seconds) for _ in range(times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def take(self) -> _Fault | None:
        with self._lock:
            if not self._queue:
                return None
            self.served += 1
            return self._queue.popleft()


@dataclass
class Exchange:
    method: str
    path: str
    status: int


class _QuietHandler(WSGIRequestHandler):
    """Fakes serve thousands of requests in tests; exchanges are kept in ``FakeServer.exchanges``."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class FakeServer:
    """A channel's API on 127.0.0.1 (ephemeral port), in a background thread.

    Subclasses provide ``routes`` (a werkzeug Map whose endpoints are method
    names), ``validate_request`` (raises :class:`SpecViolation`),
    ``validate_response`` (returns a list of problems) and ``error_response``.
    """

    channel = ""
    token_path: str | None = None

    def __init__(self) -> None:
        self.rejected: list[Rejection] = []
        self.invalid_responses: list[str] = []
        self.exchanges: list[Exchange] = []
        self.faults = Faults()
        # listing id -> reason: these listings fail inside an otherwise successful batch.
        self.failing_listings: dict[str, str] = {}
        # Every order event/record is served twice, as channels do on redelivery.
        self.duplicate_order_events = False
        self.tokens: Any = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> "FakeServer":
        self._server = make_server(
            "127.0.0.1", 0, self.wsgi_app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fake-{self.channel}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("fake server not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def token_url(self) -> str:
        return self.base_url + (self.token_path or "")

    # -- to be provided by channels ----------------------------------------------
    routes: Map

    def validate_request(self, request: Request) -> Any:
        raise NotImplementedError

    def validate_response(self, request: Request, response: Response, validated: Any) -> list[str]:
        raise NotImplementedError

    def error_response(self, status: int, code: str, message: str) -> Response:
        raise NotImplementedError

    def authorized(self, request: Request) -> bool:
        raise NotImplementedError

    def extra_response(self, request: Request) -> Response | None:
        """Endpoints outside the published spec (token, upload URLs)."""
        return None

    def rate_limited(self, request: Request, validated: Any) -> Response | None:
        """The channel's own "too many requests" answer when its usage limits are spent (None: go on)."""
        return None

    # -- helpers for channels -------------------------------------------------------
    @staticmethod
    def json_response(body: Any, status: int = 200, mimetype: str = "application/json", headers: dict | None = None) -> Response:
        return Response(json.dumps(body), status=status, mimetype=mimetype, headers=headers)

    def reject(self, request: Request, reason: str) -> Response:
        with self._lock:
            self.rejected.append(Rejection(request.method, request.full_path.rstrip("?"), reason))
        log.warning("fake %s rejected %s %s: %s", self.channel, request.method, request.path, reason)
        return self.error_response(400, "INVALID_REQUEST", reason[:2000])

    # -- the WSGI app ----------------------------------------------------------------
    def wsgi_app(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        except Exception as exc:  # a fake's own bug must fail the test, not hide in a retry
            log.exception("fake %s crashed", self.channel)
            with self._lock:
                self.invalid_responses.append(f"{request.method} {request.path}: fake crashed: {exc!r}")
            response = Response("fake crashed", status=500)
        with self._lock:
            self.exchanges.append(Exchange(request.method, request.path, response.status_code))
        # Logged first, so a test sees the request took effect while its answer is still late.
        time.sleep(environ.get("fake.delay", 0.0))
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if self.token_path and request.path == self.token_path and request.method == "POST":
            status, body = self.tokens.grant(request)
            return self.json_response(body, status)
        extra = self.extra_response(request)
        if extra is not None:
            return extra
        try:
            validated = self.validate_request(request)
        except SpecViolation as exc:
            return self.reject(request, str(exc))
        if not self.authorized(request):
            return self.error_response(401, "UNAUTHORIZED", "invalid or expired access token")
        fault = self.faults.take()
        if fault is not None and fault.kind == "throttle":
            response = self.error_response(429, "QUOTA_EXCEEDED", "Too many requests")
            response.headers["Retry-After"] = fault.retry_after or "0"
            return response
        if fault is not None and fault.kind == "fail":
            return self.error_response(fault.status, "INTERNAL", "Internal server error")
        refused = self.rate_limited(request, validated)
        if refused is not None:
            return refused
        try:
            adapter = self.routes.bind_to_environ(request.environ)
            endpoint, args = adapter.match()
            response = getattr(self, endpoint)(request, validated, **args)
        except HTTPException as exc:
            response = self.error_response(exc.code or 500, "NOT_FOUND", exc.description or "")
        except SpecViolation as exc:
            # A rule the spec states in prose (batch limits, value ranges).
            return self.reject(request, str(exc))
        problems = self.validate_response(request, response, validated)
        if problems:
            with self._lock:
                self.invalid_responses.extend(f"{request.method} {request.path}: {p}" for p in problems)
        if fault is not None and fault.kind == "delay":
            request.environ["fake.delay"] = fault.seconds
        return response
