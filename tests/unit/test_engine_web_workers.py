"""HQ's web tier runs POS_WEB_WORKERS gunicorn processes (it keeps no state in them); a store or standalone node
always one (a till's devices belong to one process)."""
from __future__ import annotations

import runpy

import pytest

from tests.conftest import ROOT


def _gunicorn(monkeypatch, **env) -> dict:
    for name in ("POS_ROLE", "POS_WEB_WORKERS", "POS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_hq_runs_as_many_web_processes_as_configured(monkeypatch):
    settings = _gunicorn(monkeypatch, POS_ROLE="hq", POS_WEB_WORKERS="4", POS_SECRET_KEY="one-for-all")
    assert (settings["workers"], settings["graceful_timeout"]) == (4, 30)


def test_a_store_or_standalone_node_runs_one(monkeypatch):
    assert _gunicorn(monkeypatch, POS_ROLE="store", POS_WEB_WORKERS="4")["workers"] == 1
    assert _gunicorn(monkeypatch, POS_WEB_WORKERS="4")["workers"] == 1


def test_hq_refuses_several_web_processes_each_with_a_random_secret_of_its_own():
    from pos.config import ConfigurationError, read_settings

    with pytest.raises(ConfigurationError, match="POS_WEB_WORKERS: above 1 needs POS_SECRET_KEY"):
        read_settings({"POS_ROLE": "hq", "POS_WEB_WORKERS": "2"})
    assert read_settings({"POS_ROLE": "hq", "POS_WEB_WORKERS": "2", "POS_SECRET_KEY": "s"}).web_workers == 2
