"""The stores at a glance: last contact and push, what waits to be sent, quarantined changes, and each
till's devices (known where the tills are: at a store or a standalone node)."""
from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import func, or_, select

from pos.db import utcnow
from pos.http import database
from pos.office.paging import like, paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.stores.models import Location, StoreContact, SyncCursor, Terminal
from sync.quarantine.models import HELD, QuarantinedChange, RefusedAtHq


def _aware(moment):
    import datetime as dt

    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


def _device_states(terminal) -> list[dict] | None:
    """The till's devices as this node sees them; None when its tills are not on this node (HQ).
    Only stations a till opened are read: the office never opens a device itself."""
    hub = current_app.extensions.get("pos.devices")
    if hub is None or current_app.config["POS_ROLE"] == "hq":
        return None
    station = hub.stations.get(terminal.code)
    if station is None:
        return []
    return station.status()


def _local_sync(session) -> dict | None:
    """This store's own push and pull (store role): what waits for HQ and what HQ refused."""
    if current_app.config["POS_ROLE"] != "store":
        return None
    from sync.replication.push import backlog

    push, pull = session.get(SyncCursor, "push"), session.get(SyncCursor, "pull")
    count, oldest = backlog(session, push.position if push else 0)
    refused = session.scalar(select(func.count()).select_from(RefusedAtHq))
    return {"push": push, "pull": pull, "backlog": count, "oldest": _aware(oldest), "refused": refused}


@bp.get("/stores")
@page(MANAGER)
def stores():
    config = current_app.config
    query = search_text()
    with database().unit_of_work(read_only=True) as uow:
        session = uow.session
        statement = select(Location, StoreContact).outerjoin(StoreContact, StoreContact.location_id == Location.id)
        if config["POS_ROLE"] == "hq":
            statement = statement.where(Location.kind == "store")
        else:
            statement = statement.where(Location.code == config["POS_STORE_CODE"])
        if query:
            statement = statement.where(or_(Location.code.ilike(like(query)), Location.name.ilike(like(query))))
        listed = paged(session, statement.order_by(Location.code))
        ids = [location.id for location, _contact in listed.items]
        held = dict(session.execute(select(QuarantinedChange.location_id, func.count())
                                    .where(QuarantinedChange.status == HELD,
                                           QuarantinedChange.location_id.in_(ids))
                                    .group_by(QuarantinedChange.location_id)).all()) if ids else {}
        terminals: dict = {}
        for terminal in session.scalars(select(Terminal).where(Terminal.location_id.in_(ids))
                                        .order_by(Terminal.code)) if ids else ():
            terminals.setdefault(terminal.location_id, []).append(
                {"code": terminal.code, "devices": _device_states(terminal)})
        rows = []
        now = utcnow()
        stale_after = config["POS_STALE_STORE_SECONDS"]
        for location, contact in listed.items:
            heard = _aware(location.last_heard_at)
            last_push = _aware(contact.last_push_at) if contact else None
            rows.append({
                "location": location, "contact": contact, "heard": heard, "last_push": last_push,
                "last_seen": _aware(contact.last_seen_at) if contact else None,
                "stale": heard is None or (now - heard).total_seconds() > stale_after,
                # pushes arrive but HQ holds the store's changes only up to "heard": the rest still waits there
                "waiting_since": heard if heard and last_push and (last_push - heard).total_seconds() > 1 else None,
                "held": held.get(location.id, 0), "terminals": terminals.get(location.id, []),
            })
        local = _local_sync(session)
    return render_template("office/stores.html", rows=rows, listed=listed, query=query, local=local,
                           role=config["POS_ROLE"])
