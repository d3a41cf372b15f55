"""HQ's figures per channel: last push / pull / reconciliation, backlog, errors, back-off, incidents."""
from __future__ import annotations

from sqlalchemy import func, select

from sync.channels.accounts import CHANNELS, configured
from sync.channels.incidents import open_count
from sync.channels.models import ChannelListing, ChannelState
from sync.channels.state import in_backoff


def _iso(moment):
    return moment.isoformat() if moment else None


def channels_status(session, config) -> dict:
    enabled = set(configured(config))
    counts = {(channel, kind): n for channel, kind, n in session.execute(
        select(ChannelListing.channel,
               (ChannelListing.wanted_seq > ChannelListing.pushed_seq).label("due"),
               func.count()).group_by(ChannelListing.channel, "due")).all()}
    erring = dict(session.execute(select(ChannelListing.channel, func.count())
                                  .where(ChannelListing.last_error.is_not(None))
                                  .group_by(ChannelListing.channel)).all())
    out = []
    for channel in CHANNELS:
        state = session.get(ChannelState, channel)
        backlog = counts.get((channel, True), 0)
        out.append({
            "channel": channel, "configured": channel in enabled,
            "listings": backlog + counts.get((channel, False), 0), "backlog": backlog,
            "listing_errors": erring.get(channel, 0),
            "last_push_at": _iso(state and state.last_push_at), "last_pull_at": _iso(state and state.last_pull_at),
            "last_reconcile_at": _iso(state and state.last_reconcile_at),
            "last_reconcile": state.last_reconcile if state else None,
            "in_backoff": in_backoff(state), "backoff_until": _iso(state and state.backoff_until),
            # pushes rest apart from order pulls
            "push_in_backoff": in_backoff(state, kind="push"),
            "push_backoff_until": _iso(state and state.push_backoff_until),
            "push_error": state.push_error if state else None,
            "last_error": state.last_error if state else None,
            "consecutive_failures": state.consecutive_failures if state else 0,
            "pushed_total": state.pushed_total if state else 0, "orders_total": state.orders_total if state else 0,
            "order_cursor": state.order_cursor if state else None,
        })
    return {"channels": out, "open_incidents": open_count(session)}
