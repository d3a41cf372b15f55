"""Server-sent events to the cashier's page: one in-process queue per open page of a till.

One web process drives the devices (see station.py), so an in-process fan-out is enough."""
from __future__ import annotations

import json
import queue
import threading

KEEPALIVE_SECONDS = 15.0
MAX_WAITING = 100  # a page that stopped reading must not grow memory without end


class TerminalEvents:
    def __init__(self):
        self._subscribers: dict[str, list[queue.Queue]] = {}
        self._lock = threading.Lock()

    def subscribe(self, terminal_code: str) -> queue.Queue:
        inbox: queue.Queue = queue.Queue(maxsize=MAX_WAITING)
        with self._lock:
            self._subscribers.setdefault(terminal_code, []).append(inbox)
        return inbox

    def unsubscribe(self, terminal_code: str, inbox: queue.Queue) -> None:
        with self._lock:
            inboxes = self._subscribers.get(terminal_code, [])
            if inbox in inboxes:
                inboxes.remove(inbox)

    def publish(self, terminal_code: str, kind: str, data: dict) -> int:
        with self._lock:
            inboxes = list(self._subscribers.get(terminal_code, []))
        for inbox in inboxes:
            try:
                inbox.put_nowait((kind, data))
            except queue.Full:
                pass  # that page is gone or stuck; it reloads the basket when it comes back
        return len(inboxes)

    def stream(self, terminal_code: str, inbox: queue.Queue, *, keepalive: float = KEEPALIVE_SECONDS):
        """text/event-stream lines until the client goes away."""
        try:
            yield "retry: 2000\n\n"
            while True:
                try:
                    kind, data = inbox.get(timeout=keepalive)
                except queue.Empty:
                    yield ": keepalive\n\n"
                    continue
                yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        finally:
            self.unsubscribe(terminal_code, inbox)
