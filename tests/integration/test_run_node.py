"""`make run`'s node as real processes (scripts/run-node: gunicorn and the worker): it serves where it is told,
its access log names requests without the credentials in them, and stopping it stops only what it started."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, make_test_app, seed_store

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _log_lines(path: Path) -> list[dict]:
    """The JSON lines (POS_LOG_FORMAT=json); anything else a library printed is skipped."""
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _wait_for(condition, what: str, log: Path, seconds: float = 120):
    # a loaded CI machine imports slowly; this is no speed check
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}; the node's log:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def node(tmp_path_factory, sqlite_template, pin_hashes):
    tmp = tmp_path_factory.mktemp("node")
    database = tmp / "pos.sqlite3"
    database.write_bytes(Path(sqlite_template).read_bytes())
    app = make_test_app(f"sqlite:///{database}", tmp)
    seed_store(app, pin_hashes, product_count=5)
    app.extensions["pos.db"].dispose()

    port, log = _free_port(), tmp / "node.log"
    env = {**os.environ, "BIN": str(BIN), "PORT": str(port), "POS_DATABASE_URL": f"sqlite:///{database}",
           "POS_SECRET_KEY": "test-only", "POS_ALLOW_REAL_DEVICES": "0", "POS_DEVICE_DIR": str(tmp / "devices"),
           "POS_ROLE": "store", "POS_ACCESS_LOG": "1", "POS_LOG_FORMAT": "json"}
    sentinel_pid = tmp / "sentinel.pid"
    with open(log, "ab") as out:
        # a process group of its own, as in a terminal, shared with a sentinel, as with the caller's other jobs
        script = subprocess.Popen(["sh", "-c", f'sleep 600 & echo $! > {sentinel_pid}; exec "$0"',
                                   str(ROOT / "scripts" / "run-node")], cwd=ROOT, env=env, stdout=out, stderr=out,
                                  start_new_session=True)
    url, sentinel = f"http://127.0.0.1:{port}", None

    def up():
        assert script.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            return requests.get(url + "/api/v1/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:  # whatever happens while it starts, nothing it started outlives the tests
        _wait_for(lambda: sentinel_pid.exists() and sentinel_pid.read_text().strip(), "no sentinel", log, 30)
        sentinel = int(sentinel_pid.read_text())
        _wait_for(up, f"nothing answered on port {port}", log)
        yield {"url": url, "log": log, "script": script, "sentinel": sentinel, "port": port}
    finally:
        if script.poll() is None:
            script.terminate()  # run-node stops the worker and gunicorn it started
            try:
                script.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(script.pid, signal.SIGKILL)
                script.wait()
        if sentinel and _alive(sentinel):
            os.kill(sentinel, signal.SIGKILL)


def test_it_serves_on_the_port_it_was_given(node):
    assert requests.get(node["url"] + "/api/v1/health", timeout=5).json()["role"] == "store"


def test_the_access_log_names_each_request_but_no_token(node):
    session = requests.Session()
    login = session.post(node["url"] + "/api/v1/auth/login", json={"login": "demo", "pin": "1234", "terminal": "T1"},
                         timeout=10)
    token = login.json()["token"]
    refused = requests.get(node["url"] + f"/api/v1/terminals/T1/events?token={token}", timeout=10)
    assert refused.status_code == 401
    calendar = requests.get(node["url"] + f"/api/v1/health?token={token}&lang=pl", timeout=10)
    assert calendar.status_code == 200

    def logged():
        return {line.get("target") for line in _log_lines(node["log"])} >= {
            "/api/v1/auth/login", "/api/v1/terminals/T1/events?token=[redacted]",
            "/api/v1/health?token=[redacted]&lang=pl"}

    _wait_for(logged, "the requests were not in the access log", node["log"], seconds=30)
    assert token not in node["log"].read_text(errors="replace")
    [login_line] = [line for line in _log_lines(node["log"]) if line.get("target") == "/api/v1/auth/login"]
    assert (login_line["logger"], login_line["method"], login_line["status"]) == ("gunicorn.access", "POST", 201)


def test_the_worker_starts_beside_it_and_says_which_jobs(node):
    def started():
        return any(line.get("logger") == "sync.worker" and "worker started" in line.get("message", "")
                   for line in _log_lines(node["log"]))

    _wait_for(started, "the worker did not start", node["log"])
    [line] = [line for line in _log_lines(node["log"]) if "worker started" in line.get("message", "")]
    assert "push_to_hq" in line["message"] and "purge_expired_tokens" in line["message"]


def test_stopping_it_stops_only_what_it_started(node):
    script, sentinel = node["script"], node["sentinel"]
    children = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(script.pid)], capture_output=True,
                                                   text=True).stdout.split() if int(pid) != sentinel]
    assert len(children) == 2  # the worker and gunicorn
    script.send_signal(signal.SIGTERM)
    assert script.wait(timeout=60) != 0
    _wait_for(lambda: not any(_alive(pid) for pid in children), "a child outlived run-node", node["log"], 30)
    assert os.getpgid(sentinel) == script.pid  # it was in run-node's process group all along
    assert _alive(sentinel), "run-node killed a process of its caller's group"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", node["port"])) != 0
