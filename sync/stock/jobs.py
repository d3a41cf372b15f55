"""Worker jobs for stock: expire reservations, publish availability changes."""
from __future__ import annotations

from sync.stock.availability import Freshness, publish
from sync.stock.reservations import expire_due


def expire_reservations(app) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        expired = expire_due(uow.session)
        uow.commit()
    return f"{expired} reservation(s) expired"


def publish_availability(app, full: bool = False) -> str:
    """Recompute the ATS of what moved since the last round (store sales, receipts, reservations,
    staleness, rule changes) and record what changed; full: every channel and product."""
    from sync.channels.accounts import configured
    from sync.channels.push import defer_pushes
    from sync.webhooks.events import stock_changed

    marketplaces = set(configured(app.config))

    def on_batch(session, changes):
        stock_changed(session, changes)
        # At HQ each channel's push job is deferred with the feed rows it will send (one queued per channel).
        defer_pushes(session, {change.channel for change in changes} & marketplaces)

    changes = publish(app.extensions["pos.db"], Freshness.from_config(app.config), full=full, on_batch=on_batch)
    return f"{len(changes)} availability change(s)"
