"""A chain on this machine: HQ (PostgreSQL) and stores (SQLite) as real gunicorn and flask processes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_env(tmp: Path, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    env.update({"POS_SECRET_KEY": "test-only", "POS_ALLOW_REAL_DEVICES": "0", "POS_DEVICE_DIR": str(tmp / "devices"),
                "PYTHONPATH": str(ROOT), "FLASK_APP": "pos:create_app", "POS_HQ_LOOKUP_TIMEOUT_SECONDS": "2"})
    env.update({key: str(value) for key, value in settings.items()})
    return env


def flask(env: dict, *args, check=True, input: str | None = None) -> subprocess.CompletedProcess:
    """`flask ARGS` as its own process; ``input`` is typed at its prompts (a manager's PIN)."""
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Node:
    """One gunicorn process serving a node's API."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name, self.env, self.port = name, env, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Node":
        handle = open(self.log, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", "1", "--threads", "4",
             "--timeout", "60", "--graceful-timeout", "1", "pos:create_app()"], cwd=ROOT, env=self.env, stdout=handle, stderr=handle)
        deadline = time.monotonic() + 120  # a loaded CI machine imports slowly; this is no speed check
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Proxy:
    """A real HTTP proxy on 127.0.0.1 in front of HQ; ``answer`` decides what each request gets."""

    def __init__(self, target: str):
        self.target = target
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = proxy.answer(method, self.path, body, headers)
                if answer is None:  # held back: the caller never hears
                    return
                status, content, kind = answer
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, method, path, body, headers):
        answer = requests.request(method, self.target + path, data=body, headers=headers, timeout=60)
        return answer.status_code, answer.content, answer.headers.get("Content-Type", "application/json")

    def answer(self, method, path, body, headers):
        return self.forward(method, path, body, headers)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HoldingProxy(Proxy):
    """Forwards to HQ; from the n-th push on, HQ still applies the batch but its answer is held back, so a store
    killed now has had its batch committed at HQ without ever learning it."""

    def __init__(self, target: str, hold_from_push: int):
        self.hold_from = hold_from_push
        self.pushes = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        super().__init__(target)

    def answer(self, method, path, body, headers):
        answer = self.forward(method, path, body, headers)
        if method == "POST" and path.startswith("/api/v1/sync/push"):
            self.pushes += 1
            if self.pushes >= self.hold_from:
                self.holding.set()
                self.release.wait(60)
                return None
        return answer

    def close(self):
        self.release.set()
        super().close()


class FaultyProxy(Proxy):
    """Forwards to HQ, except requests ``fails(method, path)`` picks: those get a 503 and never reach HQ.
    Counts what passed and what failed, per (method, path)."""

    def __init__(self, target: str, fails):
        self.fails = fails
        self.passed: dict[tuple[str, str], int] = {}
        self.failed: dict[tuple[str, str], int] = {}
        super().__init__(target)

    def answer(self, method, path, body, headers):
        key = (method, path.split("?")[0])
        if self.fails(*key):
            self.failed[key] = self.failed.get(key, 0) + 1
            return 503, b'{"title": "proxy down"}', "application/problem+json"
        self.passed[key] = self.passed.get(key, 0) + 1
        return self.forward(method, path, body, headers)


class Till:
    """A cashier at a store's till, over HTTP."""

    def __init__(self, node: Node, login="demo", pin="1234", terminal="T1"):
        self.http = requests.Session()
        self.url = node.url
        answer = self.http.post(self.url + "/api/v1/auth/login", json={"login": login, "pin": pin, "terminal": terminal})
        assert answer.status_code == 201, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def call(self, method, path, expect=(200, 201), **kwargs):
        answer = self.http.request(method, self.url + path, timeout=30, **kwargs)
        assert answer.status_code in expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def open_shift(self):
        self.call("POST", "/api/v1/shifts", json={"opening_float": 10000}, expect=(201, 409))

    def sell(self, skus, customer_id=None, method="card") -> dict:
        basket = self.call("POST", "/api/v1/baskets", json={})
        for sku in skus:
            basket = self.call("POST", f"/api/v1/baskets/{basket['id']}/lines", json={"sku": sku, "quantity": 1})
        body = {"payments": [{"method": method, "amount": basket["total"]}]}
        if customer_id:
            body["customer_id"] = customer_id
        return self.call("POST", f"/api/v1/baskets/{basket['id']}/checkout", json=body)

