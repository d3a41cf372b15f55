"""Per-channel bookkeeping rows and the back-off rule."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from pos.db import utcnow
from sync.channels.models import ChannelState


def channel_state(session, channel: str, create: bool = True) -> ChannelState | None:
    state = session.get(ChannelState, channel)
    if state is None and create:
        # The push, pull and reconcile jobs may all meet a channel for the first time at once.
        try:
            with session.begin_nested():
                session.add(ChannelState(channel=channel, feed_seq=0, consecutive_failures=0, pushed_total=0,
                                         orders_total=0))
        except IntegrityError:
            pass
        state = session.get(ChannelState, channel)
    return state


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def in_backoff(state: ChannelState | None, now: dt.datetime | None = None) -> bool:
    return state is not None and state.backoff_until is not None and aware(state.backoff_until) > (now or utcnow())


def back_off(state: ChannelState, error: str, max_seconds: float, now: dt.datetime | None = None) -> None:
    """The client already waited out Retry-After and retried; when it still gives up, the channel rests
    2, 4, 8 … seconds (capped) before the next attempt, so one sick channel does not hold up the rest."""
    now = now or utcnow()
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    seconds = min(max_seconds, 2 ** min(state.consecutive_failures, 16))
    state.backoff_until = now + dt.timedelta(seconds=seconds)
    state.last_error = error[:500]


def recovered(state: ChannelState) -> None:
    state.consecutive_failures = 0
    state.backoff_until = None
    state.last_error = None
