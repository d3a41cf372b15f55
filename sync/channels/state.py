"""Per-channel bookkeeping rows and the back-off rule.

Order pulls and pushes rest apart (``kind``): a channel whose pushes fail still imports its orders, and
one whose order API is down is still told the new quantities."""
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
                                         orders_total=0, push_failures=0))
        except IntegrityError:
            pass
        state = session.get(ChannelState, channel)
    return state


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


# The columns each kind of job keeps its back-off in.
_COLUMNS = {"pull": ("backoff_until", "consecutive_failures", "last_error"),
            "push": ("push_backoff_until", "push_failures", "push_error")}


def resting_until(state: ChannelState | None, kind: str = "pull") -> dt.datetime | None:
    return aware(getattr(state, _COLUMNS[kind][0])) if state is not None else None


def in_backoff(state: ChannelState | None, now: dt.datetime | None = None, kind: str = "pull") -> bool:
    until = resting_until(state, kind)
    return until is not None and until > (now or utcnow())


def back_off(state: ChannelState, error: str, max_seconds: float, now: dt.datetime | None = None,
             kind: str = "pull") -> None:
    """The client already waited out Retry-After and retried; when it still gives up, the channel rests
    2, 4, 8 … seconds (capped) before the next attempt, so one sick channel does not hold up the rest."""
    until, failures, last_error = _COLUMNS[kind]
    now = now or utcnow()
    count = (getattr(state, failures) or 0) + 1
    setattr(state, failures, count)
    setattr(state, until, now + dt.timedelta(seconds=min(max_seconds, 2 ** min(count, 16))))
    setattr(state, last_error, error[:500])


def recovered(state: ChannelState, kind: str = "pull") -> None:
    for column, value in zip(_COLUMNS[kind], (None, 0, None)):
        setattr(state, column, value)
