from __future__ import annotations

from sync.webhooks.delivery import RetryPolicy, deliver_due
from sync.webhooks.events import from_change_feed


def queue_feed_events(app) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        queued = from_change_feed(uow.session)
        uow.commit()
    return f"{queued} delivery(ies) queued from the change feed"


def deliver_webhooks(app) -> str:
    counts = deliver_due(app.extensions["pos.db"], RetryPolicy.from_config(app.config))
    return ", ".join(f"{n} {what}" for what, n in counts.items())
