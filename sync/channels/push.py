"""Push each channel's available-to-sell from the availability feed.

One push for one channel: the feed's new rows for the channel are folded into its listings' wanted
figure (latest seq wins, an older row never replaces a newer one), and every listing whose wanted seq
is ahead of its confirmed seq is sent in one call (the client splits it into the channel's batches),
so every change since the last push goes at once.  Each channel is pushed on its own (see
sync.channels.pushers) and rests on its own: a channel that still fails after the client's own retries
(429 with Retry-After, 5xx, timeouts) is in push back-off and skipped until its time, while the other
channels, and its own order pulls, go on.

Results are per SKU: a SKU the channel refused gets (or keeps) a push-refused incident with the
channel's reason and is sent again, with whatever is wanted by then, after its own back-off; a SKU the
channel could not be reached for is sent again shortly, without an incident."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import or_, select, update

from marketplaces import QuantityUpdate
from marketplaces.errors import ChannelError
from pos.db import utcnow
from pos.stock.models import AvailabilityChange
from sync.channels.accounts import clients, configured, timing
from sync.channels.models import ChannelListing
from sync.channels.incidents import push_accepted, push_refused
from sync.channels.state import back_off, channel_state, in_backoff, recovered, resting_until

log = logging.getLogger(__name__)

# Rows re-read behind the cursor each round: on PostgreSQL a feed row can commit after a higher seq
# did; re-reading costs little because a listing ignores any seq it already has.
FEED_LOOKBACK = 500
FEED_ROWS_PER_ROUND = 20_000
LISTINGS_PER_ROUND = 5_000
STALE = "COMPARE_QUANTITY_STALE"
UNAVAILABLE = "UNAVAILABLE"  # the client could not reach the channel for this SKU (not a refusal)
SKU_RETRY_MAX_SECONDS = 300
VERSIONED = ("allegro", "shopify")  # channels told what we believe they show now

# The push round and the stock job both publish the availability feed; two publishers at once would
# race to insert the same channel_availability rows on PostgreSQL.  The worker is one process, so one
# lock makes them take turns.
PUBLISHING = threading.Lock()


def one_publisher(publish):
    """Wrap a feed-publishing job so it never runs beside the push round's own publishing."""
    @functools.wraps(publish)
    def run(app):
        with PUBLISHING:
            return publish(app)
    return run


def push_key(channel: str) -> str:
    """The engine's key for a channel's pushes: one queued and one running per channel, on every worker."""
    return f"push_channel:{channel}"


def defer_pushes(session, channels, at: dt.datetime | None = None) -> None:
    """At HQ: defer each channel's push in the session's transaction (nothing on SQLite: pushers poll)."""
    from sync.engine.defer import defer

    for channel in sorted(channels):
        defer(session, "push_channel", push_key(channel), {"channel": channel}, at=at)


def take_feed(session, channel: str) -> int:
    """Fold new availability rows into the channel's listings; returns how many listings changed."""
    state = channel_state(session, channel)
    rows = session.execute(select(AvailabilityChange.seq, AvailabilityChange.sku, AvailabilityChange.available)
                           .where(AvailabilityChange.channel == channel,
                                  AvailabilityChange.seq > max(0, state.feed_seq - FEED_LOOKBACK))
                           .order_by(AvailabilityChange.seq).limit(FEED_ROWS_PER_ROUND)).all()
    if not rows:
        return 0
    latest: dict[str, tuple[int, int]] = {}
    for seq, sku, available in rows:
        latest[sku] = (seq, available)
    changed = 0
    for listing in session.scalars(select(ChannelListing).where(ChannelListing.channel == channel,
                                                                ChannelListing.sku.in_(list(latest)))):
        seq, available = latest[listing.sku]
        if seq > listing.wanted_seq:
            listing.wanted_seq, listing.wanted_quantity, listing.updated_at = seq, available, utcnow()
            changed += 1
    state.feed_seq = max(state.feed_seq, rows[-1].seq)
    session.flush()
    return changed


def due_updates(session, channel: str, limit: int = LISTINGS_PER_ROUND) -> list[tuple]:
    """[(listing row id, wanted seq, QuantityUpdate)] for listings ahead of what the channel confirmed,
    leaving out refused ones whose retry time has not come."""
    rows = session.scalars(select(ChannelListing).where(
        ChannelListing.channel == channel, ChannelListing.wanted_seq > ChannelListing.pushed_seq,
        or_(ChannelListing.retry_at.is_(None), ChannelListing.retry_at <= utcnow()))
        .order_by(ChannelListing.wanted_seq).limit(limit)).all()
    # What the channel last confirmed: Shopify compares against it, Allegro activates an offer it
    # may have ended (last told 0, or never told anything) again.
    return [(row.id, row.wanted_seq,
             QuantityUpdate(row.sku, row.listing_id, max(0, row.wanted_quantity),
                            row.pushed_quantity if channel in VERSIONED else None)) for row in rows]


def sku_retry_delay(failures: int) -> dt.timedelta:
    """2, 4, 8 … seconds after the n-th refusal in a row, at most five minutes."""
    return dt.timedelta(seconds=min(SKU_RETRY_MAX_SECONDS, 2 ** min(max(failures, 1), 16)))


def unreachable(result) -> bool:
    """Nothing went and every SKU failed for want of the channel: the channel is down, not the SKUs."""
    return bool(result.outcomes) and all(not o.ok and o.code == UNAVAILABLE for o in result.outcomes)


def record_outcomes(session, channel: str, sent: list[tuple], result) -> dict:
    by_listing = {update.listing_id: (row_id, seq) for row_id, seq, update in sent}
    now, ok, failed, accepted = utcnow(), 0, [], []
    for outcome in result.outcomes:
        row_id, seq = by_listing.get(outcome.listing_id, (None, None))
        if row_id is None:
            continue
        if outcome.ok:
            # Only a newer confirmation lands: a slow round can never undo a faster, newer one.
            landed = session.execute(update(ChannelListing).where(ChannelListing.id == row_id,
                                                                  ChannelListing.pushed_seq < seq)
                                     .values(pushed_seq=seq, pushed_quantity=outcome.quantity, pushed_at=now,
                                             failures=0, last_error=None, retry_at=None)).rowcount
            ok += landed
            if landed:
                accepted.append(outcome.sku)
            continue
        reason = f"{outcome.code}: {outcome.message or ''}"[:500]
        failures = (session.scalar(select(ChannelListing.failures).where(ChannelListing.id == row_id)) or 0) + 1
        values = {"failures": failures, "last_error": reason}
        if outcome.code == STALE:
            values["pushed_quantity"] = None  # someone else moved it: next time set it outright
        else:
            values["retry_at"] = now + sku_retry_delay(failures)
        if outcome.code not in (STALE, UNAVAILABLE):
            push_refused(session, channel=channel, sku=outcome.sku, listing_id=outcome.listing_id,
                         quantity=outcome.quantity, reason=reason)
        session.execute(update(ChannelListing).where(ChannelListing.id == row_id).values(**values))
        failed.append({"sku": outcome.sku, "code": outcome.code, "reason": reason})
    push_accepted(session, channel, accepted)
    state = channel_state(session, channel)
    recovered(state, "push")
    state.last_push_at = now
    state.pushed_total = (state.pushed_total or 0) + ok
    return {"pushed": ok, "failed": failed}


def rest_pushes(app, channel: str, error: str) -> None:
    """The channel's pushes (and read-backs) rest in back-off; its order pulls go on."""
    with app.extensions["pos.db"].unit_of_work() as uow:
        back_off(channel_state(uow.session, channel), error, timing(app.config)["max_backoff"], kind="push")
        uow.commit()


def push_channel(app, channel: str) -> dict:
    """One push for one channel: fold its feed in, send everything due in one call (skipped while the
    channel's pushes rest in back-off)."""
    registry = clients(app)
    db = app.extensions["pos.db"]
    with registry.locks[channel]:
        with db.unit_of_work() as uow:
            state = channel_state(uow.session, channel)
            if in_backoff(state, kind="push"):
                return {"channel": channel, "skipped": "back-off", "until": resting_until(state, "push")}
            take_feed(uow.session, channel)
            sent = due_updates(uow.session, channel)
            uow.commit()
        if not sent:
            return {"channel": channel, "pushed": 0, "failed": []}
        try:
            client = registry.get(channel)
            result = client.push_quantities([update for _id, _seq, update in sent])
        except (ChannelError, requests.RequestException, RuntimeError) as exc:
            log.warning("push to %s failed: %s", channel, type(exc).__name__)
            rest_pushes(app, channel, f"{type(exc).__name__}: {exc}")
            return {"channel": channel, "error": type(exc).__name__, "pushed": 0, "failed": []}
        if unreachable(result):
            log.warning("push to %s failed: every SKU unreachable", channel)
            rest_pushes(app, channel, f"{UNAVAILABLE}: {result.outcomes[0].message or ''}")
            return {"channel": channel, "error": UNAVAILABLE, "pushed": 0, "failed": []}
        with db.unit_of_work() as uow:
            summary = record_outcomes(uow.session, channel, sent, result)
            uow.commit()
        return {"channel": channel, **summary}


def push_round(app, refresh: bool = True) -> list[dict]:
    """Refresh the feed, then push every configured channel side by side, each on its own (one failing
    channel's retries hold up only its own result).  For operators and tests: the worker runs the
    channels' pushers instead (sync.channels.pushers)."""
    from sync.stock.jobs import publish_availability

    channels = configured(app.config)
    if not channels:
        return []
    if refresh:
        with PUBLISHING:
            publish_availability(app)
    with ThreadPoolExecutor(max_workers=len(channels), thread_name_prefix="channel-push") as pool:
        return list(pool.map(lambda channel: push_channel(app, channel), channels))
