"""The replication jobs the worker schedules (store role only)."""
from __future__ import annotations

from sync.replication.pull import pull
from sync.replication.push import push


def push_to_hq(app) -> str:
    return push(app)


def pull_from_hq(app) -> str:
    return pull(app)
