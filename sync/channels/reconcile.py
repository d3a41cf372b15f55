"""Read back what buyers see on each channel and correct drift.

What buyers see, not only a stock figure: on Allegro an offer that is not ACTIVE sells nothing whatever
stock it keeps (it reads as 0, and the correction activates it again with its quantity); on eBay it is
the published offer's availableQuantity, not the inventory item's.  Only listings with nothing in flight are compared (a due push will set them anyway).  A listing the
channel shows differently from what it last confirmed is marked due again — conditionally, so a push
that landed meanwhile wins — and the channel is pushed at once through the same path as every push, so
a correction can never put an older figure over a newer one.  What was corrected is returned and kept
on the channel's state for the status page."""
from __future__ import annotations

import logging

import requests
from sqlalchemy import select, update

from marketplaces.batching import chunked
from marketplaces.errors import ChannelError
from pos.db import utcnow
from sync.channels.accounts import clients, configured
from sync.channels.models import ChannelListing
from sync.channels.push import push_channel, rest_pushes
from sync.channels.state import channel_state, in_backoff

log = logging.getLogger(__name__)

READ_CHUNK = 500
REPORT_LIMIT = 100  # corrections kept in the stored report (the count is always complete)


def reconcile_channel(app, channel: str) -> dict:
    registry = clients(app)
    db = app.extensions["pos.db"]
    with db.unit_of_work(read_only=True) as uow:
        if in_backoff(channel_state(uow.session, channel, create=False), kind="push"):
            return {"channel": channel, "skipped": "back-off"}
        settled = [(row.id, row.sku, row.listing_id, row.pushed_quantity, row.pushed_seq, row.wanted_quantity)
                   for row in uow.session.scalars(select(ChannelListing).where(
                       ChannelListing.channel == channel, ChannelListing.wanted_seq <= ChannelListing.pushed_seq))]
    shown: dict[str, int] = {}
    try:
        client = registry.get(channel)
        for batch in chunked([listing_id for _i, _s, listing_id, *_ in settled], READ_CHUNK):
            shown.update(client.read_quantities(batch))
    except (ChannelError, requests.RequestException, RuntimeError) as exc:
        log.warning("reading %s back failed: %s", channel, type(exc).__name__)
        rest_pushes(app, channel, f"{type(exc).__name__}: {exc}")
        return {"channel": channel, "error": type(exc).__name__}
    drifted, missing = [], []
    with db.unit_of_work() as uow:
        for row_id, sku, listing_id, pushed_quantity, pushed_seq, wanted in settled:
            if listing_id not in shown:
                missing.append({"sku": sku, "listing_id": listing_id})
                continue
            if shown[listing_id] == wanted:
                continue
            marked = uow.session.execute(update(ChannelListing).where(
                ChannelListing.id == row_id, ChannelListing.pushed_seq == pushed_seq)
                .values(pushed_seq=pushed_seq - 1, pushed_quantity=shown[listing_id],
                        last_error=f"drift: channel showed {shown[listing_id]}, want {wanted}")).rowcount
            if marked:
                drifted.append({"sku": sku, "listing_id": listing_id, "channel_showed": shown[listing_id],
                                "corrected_to": wanted})
        uow.commit()
    pushed = push_channel(app, channel) if drifted else {"pushed": 0, "failed": []}
    failed = {f["sku"] for f in pushed.get("failed", [])}
    for item in drifted:
        item["ok"] = item["sku"] not in failed and "error" not in pushed
    report = {"at": utcnow().isoformat(), "checked": len(settled), "corrected": len(drifted),
              "corrections": drifted[:REPORT_LIMIT], "missing_on_channel": missing[:REPORT_LIMIT],
              "missing": len(missing)}
    with db.unit_of_work() as uow:
        state = channel_state(uow.session, channel)
        state.last_reconcile_at, state.last_reconcile = utcnow(), report
        uow.commit()
    return {"channel": channel, **report}


def reconcile_round(app) -> list[dict]:
    return [reconcile_channel(app, channel) for channel in configured(app.config)]
