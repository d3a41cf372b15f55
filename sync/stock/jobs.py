"""Worker jobs for stock: expire reservations, publish availability changes."""
from __future__ import annotations

from sync.stock.availability import Freshness, refresh_availability
from sync.stock.reservations import expire_due


def expire_reservations(app) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        expired = expire_due(uow.session)
        uow.commit()
    return f"{expired} reservation(s) expired"


def publish_availability(app) -> str:
    """Recompute every channel's ATS (store sales, receipts, staleness) and record what changed."""
    from sync.webhooks.events import stock_changed

    with app.extensions["pos.db"].unit_of_work() as uow:
        changes = refresh_availability(uow.session, Freshness.from_config(app.config))
        stock_changed(uow.session, changes)
        uow.commit()
    return f"{len(changes)} availability change(s)"
