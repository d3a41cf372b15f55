"""HQ's web tier runs POS_WEB_WORKERS gunicorn processes (it keeps no state in them); a store or standalone node
always one (a till's devices belong to one process)."""
from __future__ import annotations

import runpy

from tests.conftest import ROOT


def _gunicorn(monkeypatch, **env) -> dict:
    for name in ("POS_ROLE", "POS_WEB_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_hq_runs_as_many_web_processes_as_configured(monkeypatch):
    settings = _gunicorn(monkeypatch, POS_ROLE="hq", POS_WEB_WORKERS="4")
    assert (settings["workers"], settings["graceful_timeout"]) == (4, 30)


def test_a_store_or_standalone_node_runs_one(monkeypatch):
    assert _gunicorn(monkeypatch, POS_ROLE="store", POS_WEB_WORKERS="4")["workers"] == 1
    assert _gunicorn(monkeypatch, POS_WEB_WORKERS="4")["workers"] == 1
