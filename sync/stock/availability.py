"""Available-to-sell (ATS) per channel and SKU.

    spare(l)        = max(0, on_hand − reserved − committed − safety_stock)       per location l
    weight(l)       = 100 %  if l is fresh, else POS_STALE_STORE_SHARE_PERCENT (default 0 %)
    pool            = Σ over locations serving the channel of ⌊spare(l) × weight(l) / 100⌋
    ATS             = max(0, min(cap, ⌊(pool − buffer) × share_percent / 100⌋))

A location is fresh when it is a warehouse (booked where this node runs), this node's own store
(not at HQ), or a store whose ``last_heard_at`` is at most POS_STALE_STORE_SECONDS old.  A store
that has not synced may have sold offline what we think it has, so online channels stop counting
on it until it syncs again.  Reservations take stock only from what counts here, location by location,
under the same row lock, so the guard and the published figure are the same numbers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from pos.catalogue.models import Product
from pos.db import utcnow
from pos.stock.models import AvailabilityChange, ChannelAvailability, StockLevel
from pos.stores.models import Location
from sync.stock.channels import ChannelRule, cached_channel_rule, channel_codes

LOCATIONS = select(Location.id, Location.kind, Location.code, Location.last_heard_at)  # built once


@dataclass(frozen=True)
class Freshness:
    role: str = "standalone"
    own_store: str = "S1"
    stale_seconds: int = 900
    stale_share_percent: int = 0

    @classmethod
    def from_config(cls, config) -> "Freshness":
        return cls(config["POS_ROLE"], config["POS_STORE_CODE"], config["POS_STALE_STORE_SECONDS"],
                   config["POS_STALE_STORE_SHARE_PERCENT"])


def spare(level) -> int:
    return max(0, level.on_hand - level.reserved - level.committed - level.safety_stock)


def location_weight(freshness: Freshness, horizon: dt.datetime, kind: str, code: str, last_heard_at) -> int:
    """Percent of its spare stock one location contributes to online channels (horizon: now − stale_seconds)."""
    if last_heard_at is not None and last_heard_at.tzinfo is None:
        last_heard_at = last_heard_at.replace(tzinfo=dt.timezone.utc)
    fresh = (kind == "warehouse"
             or (freshness.role != "hq" and code == freshness.own_store)
             or (last_heard_at is not None and last_heard_at >= horizon))
    return 100 if fresh else freshness.stale_share_percent


def stale_horizon(freshness: Freshness, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=freshness.stale_seconds)


def location_weights(session, freshness: Freshness, now: dt.datetime | None = None) -> dict:
    """Percent of its spare stock each location contributes to online channels right now."""
    horizon = stale_horizon(freshness, now or utcnow())
    return {row.id: location_weight(freshness, horizon, row.kind, row.code, row.last_heard_at)
            for row in session.execute(LOCATIONS)}


def serving(rule: ChannelRule, weights: dict) -> dict:
    """The serving locations that contribute anything, with their weights."""
    return {lid: w for lid, w in weights.items() if w > 0 and (rule.location_ids is None or lid in rule.location_ids)}


def contribution(level, weight: int) -> int:
    return spare(level) * weight // 100


def ats(pool: int, rule: ChannelRule) -> int:
    value = max(0, (pool - rule.buffer) * rule.share_percent // 100)
    return min(value, rule.cap) if rule.cap is not None else value


def pools(levels, locations: dict) -> dict:
    """product_id → pooled contribution, from level rows (any iterable of StockLevel-like rows)."""
    pooled: dict = {}
    for level in levels:
        weight = locations.get(level.location_id)
        if weight:
            pooled[level.product_id] = pooled.get(level.product_id, 0) + contribution(level, weight)
    return pooled


def channel_availability(session, rule: ChannelRule, weights: dict, product_ids=None) -> dict:
    """product_id → ATS for the channel (products with no stock row anywhere are simply absent: 0)."""
    locations = serving(rule, weights)
    if not locations:
        return {}
    statement = select(StockLevel).where(StockLevel.location_id.in_(list(locations)))
    if product_ids is not None:
        statement = statement.where(StockLevel.product_id.in_(list(product_ids)))
    return {pid: ats(pool, rule) for pid, pool in pools(session.scalars(statement), locations).items()}


def availability_for_skus(session, freshness: Freshness, channel: str, skus: list[str]) -> tuple[list, list]:
    """([{sku, available}], unknown skus) for one channel; raises LookupError for an unknown channel."""
    rule = cached_channel_rule(session, channel)
    if rule is None:
        raise LookupError(channel)
    products = {p.sku: p.id for p in session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus)))}
    values = channel_availability(session, rule, location_weights(session, freshness), list(products.values()))
    seen, items = set(), []
    for sku in skus:
        if sku in products and sku not in seen:
            seen.add(sku)
            items.append({"sku": sku, "available": values.get(products[sku], 0)})
    return items, sorted({sku for sku in skus if sku not in products})


def refresh_availability(session, freshness: Freshness, now: dt.datetime | None = None) -> list[AvailabilityChange]:
    """Publish every channel's ATS that differs from what was last published: one change row each."""
    now = now or utcnow()
    weights = location_weights(session, freshness, now)
    skus = dict(session.execute(select(Product.id, Product.sku)).all())
    changes = []
    for code in channel_codes(session):
        rule = cached_channel_rule(session, code)
        if rule is None:
            continue
        current = channel_availability(session, rule, weights)
        published = {row.product_id: row for row in session.scalars(
            select(ChannelAvailability).where(ChannelAvailability.channel == code))}
        for product_id in set(current) | set(published):
            value = current.get(product_id, 0)
            row = published.get(product_id)
            if row is not None and row.available == value:
                continue
            if row is None:
                if value == 0:
                    continue  # never published and nothing to sell: nothing changed for the shop
                session.add(ChannelAvailability(channel=code, product_id=product_id, available=value, updated_at=now))
                previous = None
            else:
                previous, row.available, row.updated_at = row.available, value, now
            change = AvailabilityChange(channel=code, product_id=product_id, sku=skus.get(product_id, ""),
                                        available=value, previous=previous, at=now)
            session.add(change)
            changes.append(change)
    session.flush()
    return changes


def changes_since(session, channel: str, since: int, limit: int) -> list[AvailabilityChange]:
    return list(session.scalars(select(AvailabilityChange).where(AvailabilityChange.channel == channel,
                                                                 AvailabilityChange.seq > since)
                                .order_by(AvailabilityChange.seq).limit(limit)))
