"""Oversell incidents: a channel sold pieces we no longer have (a store sold them inside the sync window,
or another channel got there first).  Each names the SKU, who was selling how many, and what to do:
send from a location that still has the pieces spare, or cancel the order on the channel.

Push-refused incidents: the channel refused the figure for one SKU (with its reason); the other SKUs
went on.  One stays open per channel and SKU while the refusals go on, and resolves itself once the
channel takes a figure for that SKU again."""
from __future__ import annotations

from sqlalchemy import func, select

from pos.db import utcnow
from pos.problems import ApiProblem
from pos.stock.models import StockLevel
from pos.stores.models import Location
from sync.channels.models import ChannelIncident, ChannelListing
from sync.stock.availability import spare
from sync.webhooks.events import enqueue


def suggestion(session, product_id, sku: str, requested: int, channel: str, channel_order_id: str) -> dict:
    """The location with the most spare pieces (any location, whether or not it serves the channel)."""
    best = None
    for level, location in session.execute(select(StockLevel, Location).join(Location, Location.id == StockLevel.location_id)
                                           .where(StockLevel.product_id == product_id)):
        pieces = spare(level)
        if pieces > 0 and (best is None or pieces > best[0]):
            best = (pieces, location)
    if best is not None and best[0] >= requested:
        pieces, location = best
        return {"action": "fulfil-from", "location": location.code, "location_name": location.name, "spare": pieces,
                "text": f"Send {requested} × {sku} from {location.name} ({location.code}), which has {pieces} spare"}
    return {"action": "cancel", "location": None, "location_name": None, "spare": best[0] if best else 0,
            "text": f"Cancel {channel} order {channel_order_id} for {sku}: no location has {requested} spare"}


def involved(session, channel: str, sku: str, requested: int) -> list[dict]:
    """The order itself, then what every channel listing this SKU was last told it could sell."""
    rows = [{"channel": channel, "quantity": requested, "what": "ordered"}]
    for listing in session.scalars(select(ChannelListing).where(ChannelListing.sku == sku)
                                   .order_by(ChannelListing.channel)):
        rows.append({"channel": listing.channel, "quantity": listing.pushed_quantity, "what": "listed"})
    return rows


def raise_oversold(session, *, channel: str, channel_order_id: str, order_id, product_id, sku: str,
                   requested: int, available: int) -> ChannelIncident:
    incident = ChannelIncident(kind="oversold", status="open", channel=channel, channel_order_id=channel_order_id,
                               order_id=order_id, sku=sku, requested=requested, available=available,
                               involved=involved(session, channel, sku, requested),
                               suggestion=suggestion(session, product_id, sku, requested, channel, channel_order_id),
                               created_at=utcnow(), note="")
    session.add(incident)
    session.flush()
    enqueue(session, "stock.oversold", incident_json(incident))
    return incident


def raise_unknown_listing(session, *, channel: str, channel_order_id: str, order_id, listing_id, sku,
                          requested: int) -> ChannelIncident:
    incident = ChannelIncident(
        kind="unknown-listing", status="open", channel=channel, channel_order_id=channel_order_id, order_id=order_id,
        sku=sku, requested=requested, available=0,
        involved=[{"channel": channel, "quantity": requested, "what": "ordered", "listing_id": listing_id}],
        suggestion={"action": "map-listing", "location": None, "location_name": None, "spare": 0,
                    "text": f"Map {channel} listing {listing_id} to a SKU (PUT /api/v1/channels/{channel}/listings/…), "
                            f"then reserve the order by hand"},
        created_at=utcnow(), note="")
    session.add(incident)
    session.flush()
    return incident


PUSH_REFUSED = "push-refused"


def push_refused(session, *, channel: str, sku: str, listing_id: str, quantity: int,
                 reason: str) -> ChannelIncident:
    """Open (or bring up to date) the SKU's push-refused incident with the channel's latest reason."""
    incident = session.scalar(select(ChannelIncident).where(
        ChannelIncident.kind == PUSH_REFUSED, ChannelIncident.status == "open", ChannelIncident.channel == channel,
        ChannelIncident.sku == sku))
    involved = [{"channel": channel, "quantity": quantity, "what": "refused", "listing_id": listing_id,
                 "reason": reason[:500]}]
    suggestion = {"action": "check-listing", "location": None, "location_name": None, "spare": 0,
                  "text": f"{channel} refused {quantity} × {sku} for listing {listing_id}: {reason[:300]}. "
                          f"Put the listing right on {channel} (or re-map the SKU); the figure is sent again by itself"}
    if incident is None:
        incident = ChannelIncident(kind=PUSH_REFUSED, status="open", channel=channel, channel_order_id="",
                                   order_id=None, sku=sku, created_at=utcnow(), note="")
        session.add(incident)
    incident.requested, incident.available = quantity, quantity
    incident.involved, incident.suggestion = involved, suggestion
    session.flush()
    return incident


def push_accepted(session, channel: str, skus: list[str]) -> int:
    """The channel took these SKUs' figures: their push-refused incidents are over."""
    if not skus:
        return 0
    resolved = 0
    for incident in session.scalars(select(ChannelIncident).where(
            ChannelIncident.kind == PUSH_REFUSED, ChannelIncident.status == "open",
            ChannelIncident.channel == channel, ChannelIncident.sku.in_(skus))):
        incident.status, incident.resolved_at = "resolved", utcnow()
        incident.note = f"{channel} took the figure"
        resolved += 1
    return resolved


def open_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ChannelIncident).where(ChannelIncident.status == "open"))


def listed(session, status: str | None, limit: int) -> list[ChannelIncident]:
    statement = select(ChannelIncident).order_by(ChannelIncident.created_at.desc()).limit(limit)
    if status:
        statement = statement.where(ChannelIncident.status == status)
    return list(session.scalars(statement))


def resolve(session, incident_id, note: str) -> ChannelIncident:
    incident = session.get(ChannelIncident, incident_id)
    if incident is None:
        raise ApiProblem(404, "unknown-incident", f"incident_id: no incident {incident_id}", field="incident_id")
    if incident.status != "resolved":
        incident.status, incident.resolved_at, incident.note = "resolved", utcnow(), note[:500]
    return incident


def incident_json(incident: ChannelIncident) -> dict:
    return {"id": str(incident.id), "kind": incident.kind, "status": incident.status, "channel": incident.channel,
            "channel_order_id": incident.channel_order_id, "sku": incident.sku, "requested": incident.requested,
            "available": incident.available, "involved": incident.involved, "suggestion": incident.suggestion,
            "created_at": incident.created_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None, "note": incident.note}
