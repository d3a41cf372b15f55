"""Which listing on a channel sells which SKU: edited one by one at HQ or loaded from CSV (sku,listing_id).

A new or re-pointed listing starts with the channel's current available-to-sell as its wanted figure and
nothing confirmed, so the next push round sends it."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import IO

from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.problems import ApiProblem
from pos.stock.models import AvailabilityChange
from sync.channels.accounts import CHANNELS
from sync.channels.models import ChannelListing
from sync.stock.availability import availability_for_skus

MAX_LISTING_ID = 200


@dataclass(frozen=True)
class ListingRow:
    line: int
    sku: str
    listing_id: str


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ApiProblem(404, "unknown-channel", f"channel: no marketplace {channel!r} (one of {', '.join(CHANNELS)})",
                         field="channel")
    return channel


def read_rows(handle: IO[str]) -> tuple[list[ListingRow], list[BadRow]]:
    """Rows of a CSV with a header naming sku and listing_id; line numbers are the file's (header = 1)."""
    reader = csv.DictReader(handle)
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    if not {"sku", "listing_id"} <= columns:
        return [], [BadRow(1, "header: needs the columns sku,listing_id")]
    rows, bad, skus, listing_ids = [], [], {}, {}
    for line, raw in enumerate(reader, start=2):
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        sku, listing_id = record.get("sku", ""), record.get("listing_id", "")
        if not sku:
            bad.append(BadRow(line, "sku: empty"))
        elif not listing_id:
            bad.append(BadRow(line, "listing_id: empty"))
        elif len(listing_id) > MAX_LISTING_ID:
            bad.append(BadRow(line, f"listing_id: longer than {MAX_LISTING_ID} characters"))
        elif sku in skus:
            bad.append(BadRow(line, f"sku: {sku} is already on line {skus[sku]}"))
        elif listing_id in listing_ids:
            bad.append(BadRow(line, f"listing_id: {listing_id} is already on line {listing_ids[listing_id]}"))
        else:
            skus[sku], listing_ids[listing_id] = line, line
            rows.append(ListingRow(line, sku, listing_id))
    return rows, bad


def check_against_catalogue(session, channel: str, rows: list[ListingRow]) -> list[BadRow]:
    """Unknown SKUs, and listing ids another SKU keeps (one not re-pointed by this same file)."""
    known = set(session.scalars(select(Product.sku).where(Product.sku.in_([r.sku for r in rows]))))
    owners = dict(session.execute(select(ChannelListing.listing_id, ChannelListing.sku).where(
        ChannelListing.channel == channel, ChannelListing.listing_id.in_([r.listing_id for r in rows]))).all())
    moving = {r.sku for r in rows}
    bad = []
    for row in rows:
        owner = owners.get(row.listing_id)
        if row.sku not in known:
            bad.append(BadRow(row.line, f"sku: no product {row.sku}"))
        elif owner is not None and owner != row.sku and owner not in moving:
            bad.append(BadRow(row.line, f"listing_id: {row.listing_id} already sells {owner} on {channel}"))
    return bad


def upsert(session, freshness, channel: str, sku: str, listing_id: str) -> tuple[ChannelListing, bool]:
    """Point the SKU at the listing; (listing, created)."""
    product_id = session.scalar(select(Product.id).where(Product.sku == sku))
    if product_id is None:
        raise ApiProblem(422, "unknown-sku", f"sku: no product {sku!r}", field="sku")
    row = session.scalar(select(ChannelListing).where(ChannelListing.channel == channel, ChannelListing.sku == sku))
    taken = session.scalar(select(ChannelListing).where(ChannelListing.channel == channel,
                                                        ChannelListing.listing_id == listing_id))
    if taken is not None and taken is not row:
        raise ApiProblem(409, "listing-taken", f"listing_id: {listing_id} already sells {taken.sku} on {channel}",
                         field="listing_id")
    created = row is None
    if row is not None and row.listing_id == listing_id:
        return row, False
    if row is None:
        row = ChannelListing(channel=channel, sku=sku, product_id=product_id, failures=0)
        session.add(row)
    row.listing_id = listing_id
    _start_over(session, freshness, row)
    session.flush()
    return row, created


def _start_over(session, freshness, row: ChannelListing) -> None:
    """A listing the channel has not heard from us about: want today's figure, confirmed nothing."""
    items, _unknown = availability_for_skus(session, freshness, row.channel, [row.sku])
    row.wanted_quantity = items[0]["available"] if items else 0
    row.wanted_seq = session.scalar(select(func.max(AvailabilityChange.seq)).where(
        AvailabilityChange.channel == row.channel, AvailabilityChange.product_id == row.product_id)) or 0
    row.pushed_quantity, row.pushed_seq, row.pushed_at = None, -1, None
    row.failures, row.last_error, row.updated_at = 0, None, utcnow()


def import_rows(session, freshness, channel: str, rows: list[ListingRow]) -> tuple[int, int]:
    """(created, updated).  Rows are re-pointed in two passes so that swapping two listing ids between
    SKUs in one file does not trip the unique constraint half-way."""
    existing = {r.sku: r for r in session.scalars(select(ChannelListing).where(
        ChannelListing.channel == channel, ChannelListing.sku.in_([r.sku for r in rows])))}
    changing = [r for r in rows if r.sku in existing and existing[r.sku].listing_id != r.listing_id]
    for row in changing:
        existing[row.sku].listing_id = f"~moving~{existing[row.sku].id}"
    session.flush()
    created = updated = 0
    for row in rows:
        listing = existing.get(row.sku)
        if listing is not None and listing.listing_id == row.listing_id:
            continue
        _listing, was_created = upsert(session, freshness, channel, row.sku, row.listing_id)
        created += was_created
        updated += not was_created
    return created, updated


def remove(session, channel: str, sku: str) -> None:
    row = session.scalar(select(ChannelListing).where(ChannelListing.channel == channel, ChannelListing.sku == sku))
    if row is None:
        raise ApiProblem(404, "unknown-listing", f"sku: {sku} has no listing on {channel}", field="sku")
    session.delete(row)


def listing_json(row: ChannelListing) -> dict:
    return {"channel": row.channel, "sku": row.sku, "listing_id": row.listing_id,
            "wanted_quantity": row.wanted_quantity, "pushed_quantity": row.pushed_quantity,
            "pushed_at": row.pushed_at.isoformat() if row.pushed_at else None,
            "pending": row.wanted_seq > row.pushed_seq, "last_error": row.last_error}
