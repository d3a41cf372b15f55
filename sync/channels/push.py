"""Push each channel's available-to-sell from the availability feed.

A round: the feed is refreshed (sync.stock publishes what changed since the last round), the new rows
for each channel are folded into its listings' wanted figure (latest seq wins, an older row never
replaces a newer one), and every listing whose wanted seq is ahead of its confirmed seq is sent in one
call (the client splits it into the channel's batches).  A SKU the channel refused stays due and goes
again next round with whatever is wanted by then; a channel that still fails after the client's own
retries (429 with Retry-After, 5xx, timeouts) rests in back-off and is skipped until its time."""
from __future__ import annotations

import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select, update

from marketplaces import QuantityUpdate
from marketplaces.errors import ChannelError
from pos.db import utcnow
from pos.stock.models import AvailabilityChange
from sync.channels.accounts import clients, configured, timing
from sync.channels.models import ChannelListing
from sync.channels.state import back_off, channel_state, in_backoff, recovered

log = logging.getLogger(__name__)

# Rows re-read behind the cursor each round: on PostgreSQL a feed row can commit after a higher seq
# did; re-reading costs little because a listing ignores any seq it already has.
FEED_LOOKBACK = 500
FEED_ROWS_PER_ROUND = 20_000
LISTINGS_PER_ROUND = 5_000
STALE = "COMPARE_QUANTITY_STALE"
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
    """[(listing row id, wanted seq, QuantityUpdate)] for listings ahead of what the channel confirmed."""
    rows = session.scalars(select(ChannelListing).where(ChannelListing.channel == channel,
                                                        ChannelListing.wanted_seq > ChannelListing.pushed_seq)
                           .order_by(ChannelListing.wanted_seq).limit(limit)).all()
    # What the channel last confirmed: Shopify compares against it, Allegro activates an offer it
    # may have ended (last told 0, or never told anything) again.
    return [(row.id, row.wanted_seq,
             QuantityUpdate(row.sku, row.listing_id, max(0, row.wanted_quantity),
                            row.pushed_quantity if channel in VERSIONED else None)) for row in rows]


def record_outcomes(session, channel: str, sent: list[tuple], result) -> dict:
    by_listing = {update.listing_id: (row_id, seq) for row_id, seq, update in sent}
    now, ok, failed = utcnow(), 0, []
    for outcome in result.outcomes:
        row_id, seq = by_listing.get(outcome.listing_id, (None, None))
        if row_id is None:
            continue
        if outcome.ok:
            # Only a newer confirmation lands: a slow round can never undo a faster, newer one.
            ok += session.execute(update(ChannelListing).where(ChannelListing.id == row_id,
                                                               ChannelListing.pushed_seq < seq)
                                  .values(pushed_seq=seq, pushed_quantity=outcome.quantity, pushed_at=now,
                                          failures=0, last_error=None)).rowcount
        else:
            values = {"failures": ChannelListing.failures + 1,
                      "last_error": f"{outcome.code}: {outcome.message or ''}"[:500]}
            if outcome.code == STALE:
                values["pushed_quantity"] = None  # someone else moved it: next time set it outright
            session.execute(update(ChannelListing).where(ChannelListing.id == row_id).values(**values))
            failed.append({"sku": outcome.sku, "code": outcome.code})
    state = channel_state(session, channel)
    recovered(state)
    state.last_push_at = now
    state.pushed_total = (state.pushed_total or 0) + ok
    return {"pushed": ok, "failed": failed}


def push_channel(app, channel: str) -> dict:
    """One push for one channel (skipped while it is in back-off)."""
    registry = clients(app)
    db = app.extensions["pos.db"]
    with registry.locks[channel]:
        with db.unit_of_work(read_only=True) as uow:
            if in_backoff(channel_state(uow.session, channel, create=False)):
                return {"channel": channel, "skipped": "back-off"}
            sent = due_updates(uow.session, channel)
        if not sent:
            return {"channel": channel, "pushed": 0, "failed": []}
        try:
            client = registry.get(channel)
            result = client.push_quantities([update for _id, _seq, update in sent])
        except (ChannelError, requests.RequestException, RuntimeError) as exc:
            log.warning("push to %s failed: %s", channel, type(exc).__name__)
            with db.unit_of_work() as uow:
                back_off(channel_state(uow.session, channel), f"{type(exc).__name__}: {exc}",
                         timing(app.config)["max_backoff"])
                uow.commit()
            return {"channel": channel, "error": type(exc).__name__, "pushed": 0, "failed": []}
        with db.unit_of_work() as uow:
            summary = record_outcomes(uow.session, channel, sent, result)
            uow.commit()
        return {"channel": channel, **summary}


def push_round(app, refresh: bool = True) -> list[dict]:
    """Refresh the feed, fold it into listings, push every configured channel side by side."""
    from sync.stock.jobs import publish_availability

    channels = configured(app.config)
    if not channels:
        return []
    if refresh:
        with PUBLISHING:
            publish_availability(app)
    with app.extensions["pos.db"].unit_of_work() as uow:
        for channel in channels:
            take_feed(uow.session, channel)
        uow.commit()
    with ThreadPoolExecutor(max_workers=len(channels), thread_name_prefix="channel-push") as pool:
        return list(pool.map(lambda channel: push_channel(app, channel), channels))
