"""HQ's marketplace API (manager's bearer token): listings per channel, the channels' status, incidents."""
from __future__ import annotations

import uuid
from typing import Literal

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlalchemy import select

from pos.http import BEARER, run
from pos.schemas import Strict
from pos.stock.problem_docs import problem_responses
from pos.stores.auth import caller
from sync.channels import incidents, listings
from sync.channels.models import ChannelListing
from sync.channels.status import channels_status
from sync.stock.availability import Freshness

api = APIBlueprint("channels", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="channels")],
                   abp_security=BEARER, abp_responses=problem_responses(401, 403, 404, 409, 422))

Channel = Literal["allegro", "amazon", "ebay", "shopify"]


class ChannelPath(BaseModel):
    channel: Channel


class ChannelListingPath(BaseModel):
    channel: Channel
    sku: str = Field(min_length=1, max_length=64)


class ChannelListingQuery(Strict):
    sku: str | None = Field(default=None, max_length=64)
    pending: bool | None = Field(default=None, description="only listings with a push still due (or not)")
    limit: int = Field(default=500, ge=1, le=5000)
    offset: int = Field(default=0, ge=0)


class ChannelListingIn(Strict):
    listing_id: str = Field(min_length=1, max_length=listings.MAX_LISTING_ID,
                            description="Allegro offer id, Amazon seller SKU, eBay inventory SKU or Shopify "
                                        "InventoryItem GID")


class ChannelIncidentQuery(Strict):
    status: Literal["open", "resolved"] | None = "open"
    limit: int = Field(default=200, ge=1, le=1000)


class ChannelIncidentPath(BaseModel):
    incident_id: uuid.UUID


class ChannelIncidentResolveIn(Strict):
    note: str = Field(default="", max_length=500)


def as_manager(work, **kw):
    """``work(session)`` for HQ managers only (a manager's login token; store tokens are refused)."""
    def guarded(session, _till):
        caller(session, stores=False, manager=True)
        return work(session)
    return run(guarded, auth=False, **kw)


@api.get("/channels/<channel>/listings")
def get_listings(path: ChannelPath, query: ChannelListingQuery):
    """The channel's listings with what we want it to show, what it confirmed and any error."""
    def work(session):
        statement = select(ChannelListing).where(ChannelListing.channel == path.channel)
        if query.sku:
            statement = statement.where(ChannelListing.sku == query.sku)
        if query.pending is not None:
            due = ChannelListing.wanted_seq > ChannelListing.pushed_seq
            statement = statement.where(due if query.pending else ~due)
        rows = session.scalars(statement.order_by(ChannelListing.sku).limit(query.limit).offset(query.offset))
        return {"channel": path.channel, "items": [listings.listing_json(row) for row in rows]}
    return as_manager(work, read_only=True)


@api.put("/channels/<channel>/listings/<sku>")
def put_listing(path: ChannelListingPath, body: ChannelListingIn):
    """Point the SKU at a listing on the channel; the current available-to-sell is pushed next round."""
    def work(session):
        row, created = listings.upsert(session, Freshness.from_config(current_app.config), path.channel, path.sku,
                                       body.listing_id)
        return listings.listing_json(row), (201 if created else 200)
    return as_manager(work)


@api.delete("/channels/<channel>/listings/<sku>")
def delete_listing(path: ChannelListingPath):
    """Stop pushing this SKU to the channel (the listing on the channel itself is left as it is)."""
    def work(session):
        listings.remove(session, path.channel, path.sku)
        return {"channel": path.channel, "sku": path.sku, "deleted": True}
    return as_manager(work)


@api.get("/channels/status")
def get_channels_status():
    """Per channel: configured, last push / pull / reconciliation (with its corrections), backlog,
    errors, back-off; and the number of open incidents."""
    return as_manager(lambda session: channels_status(session, current_app.config), read_only=True)


@api.get("/incidents")
def get_incidents(query: ChannelIncidentQuery):
    """Oversells (and orders for listings no SKU is mapped to), newest first, with a suggested action."""
    def work(session):
        rows = incidents.listed(session, query.status, query.limit)
        return {"items": [incidents.incident_json(row) for row in rows], "open": incidents.open_count(session)}
    return as_manager(work, read_only=True)


@api.post("/incidents/<incident_id>/resolve")
def resolve_incident(path: ChannelIncidentPath, body: ChannelIncidentResolveIn):
    """Mark an incident dealt with (sent from another store, cancelled on the channel, …)."""
    def work(session):
        return incidents.incident_json(incidents.resolve(session, path.incident_id, body.note))
    return as_manager(work)


