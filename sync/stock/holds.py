"""HQ's holds on a store's units, told to that store: the till sells only what orders left free.

When a reservation takes, commits, releases or ships units of a store's location, HQ writes the new figure —
the units it holds there (reserved + committed) — into its change feed in the same transaction.  The store
pulls only the figures of its own locations and keeps them as ``stock_level.hq_held``; the till refuses to
sell held units without a manager (pos.stock.services).  The figure is absolute, so a page pulled twice or a
missed intermediate figure changes nothing: the newest one wins."""
from __future__ import annotations

import uuid

from sqlalchemy import exists, select

from pos.feed.services import record_change
from pos.stock.models import StockLevel
from pos.stores.models import Location, StoreToken

HOLD = "hold"
_level = StockLevel.__table__


def publish_holds(session, pairs) -> int:
    """Feed entries for the (location_id, product_id) pairs at locations that are remote stores (with a sync
    token: a standalone node's own till shares the reservations' table and needs no message)."""
    pairs = set(pairs)
    if not pairs:
        return 0
    locations = {location_id for location_id, _ in pairs}
    rows = session.execute(
        select(_level.c.location_id, _level.c.product_id, _level.c.reserved + _level.c.committed)
        .where(_level.c.location_id.in_(locations),
               _level.c.product_id.in_({product_id for _, product_id in pairs}),
               exists().where(StoreToken.location_id == _level.c.location_id),
               exists().where(Location.id == _level.c.location_id, Location.kind == "store"))).all()
    published = 0
    for location_id, product_id, held in sorted(rows, key=lambda r: (str(r[0]), str(r[1]))):
        if (location_id, product_id) in pairs:
            record_change(session, HOLD, uuid.uuid5(location_id, str(product_id)),
                          {"location_id": str(location_id), "product_id": str(product_id), "held": held},
                          op="upserted")
            published += 1
    return published


def visible_to(change_entity: str, payload: dict, location_id) -> bool:
    """A hold entry is for the store whose location it names, and no other."""
    return change_entity == HOLD and payload.get("location_id") == str(location_id)
