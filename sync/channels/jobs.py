"""Worker jobs: pull orders every 15 s, read back and correct every 5 minutes; pushes are the channels'
own pushers, woken by the availability feed (sync.channels.pushers), and push_to_channels is one push of
every channel for `flask sync once`."""
from __future__ import annotations

from sync.channels.orders import pull_round
from sync.channels.push import push_round
from sync.channels.reconcile import reconcile_round


def _line(results: list[dict], figure: str) -> str:
    if not results:
        return "no channel configured"
    return "; ".join(f"{r['channel']}: " + (r.get("skipped") or r.get("error") or str(r.get(figure)))
                     for r in results)


def push_to_channels(app) -> str:
    return _line(push_round(app), "pushed")


def pull_channel_orders(app) -> str:
    return _line(pull_round(app), "orders")


def reconcile_channels(app) -> str:
    return _line(reconcile_round(app), "corrected")
