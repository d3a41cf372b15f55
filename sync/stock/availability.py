"""Available-to-sell (ATS) per channel and SKU.

    spare(l)        = max(0, on_hand − reserved − committed − safety_stock)       per location l
    weight(l)       = 100 %  if l is fresh, else POS_STALE_STORE_SHARE_PERCENT (default 0 %)
    unheard(l)      = max(0, now − last_heard_at(l) − POS_SALES_BUFFER_GRACE_SECONDS)  (0: warehouses, own store)
    sales_buffer(l) = ⌈sold(l, last POS_SALES_RATE_WINDOW_SECONDS) × unheard(l) / window⌉   per SKU
    pool            = Σ over locations serving the channel of ⌊max(0, spare(l) − sales_buffer(l)) × weight(l) / 100⌋
    ATS             = max(0, min(cap, ⌊(pool − buffer) × share_percent / 100⌋))

A location is fresh when it is a warehouse (booked where this node runs), this node's own store
(not at HQ), or a store whose ``last_heard_at`` is at most POS_STALE_STORE_SECONDS old.  A store
that has not synced may have sold offline what we think it has, so online channels stop counting
on it until it syncs again.  Until then, each SKU it sells fast is offered less the units it has likely sold
since HQ last heard from it (its sales rate at HQ times how long HQ has heard nothing, rounded up); a store
heard from within the grace offers everything it confirmed but its holds.  Reservations take stock only from what counts here, location by location,
under the same row lock, so the guard and the published figure are the same numbers."""
from __future__ import annotations

import datetime as dt

import logging
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pos.catalogue.models import Product
from pos.db import fast_execute_many, fast_insert, utcnow
from pos.sales.models import Sale, SaleLine
from pos.stock.models import AvailabilityChange, AvailabilityState, ChannelAvailability, StockLevel, StockLevelMark
from pos.stores.models import Location
from sync.stock.channels import ChannelRule, cached_channel_rule, channel_codes, channel_rule

log = logging.getLogger(__name__)

LOCATIONS = select(Location.id, Location.kind, Location.code, Location.last_heard_at)  # built once
_SALE, _SALE_LINE = Sale.__table__, SaleLine.__table__


@dataclass(frozen=True)
class Freshness:
    role: str = "standalone"
    own_store: str = "S1"
    stale_seconds: int = 900
    stale_share_percent: int = 0
    grace_seconds: int = 60  # a store heard from this recently is up to date: no sales buffer
    rate_window_seconds: int = 4 * 3600  # its sales rate is what it sold per second over this window

    @classmethod
    def from_config(cls, config) -> "Freshness":
        return cls(config["POS_ROLE"], config["POS_STORE_CODE"], config["POS_STALE_STORE_SECONDS"],
                   config["POS_STALE_STORE_SHARE_PERCENT"], config.get("POS_SALES_BUFFER_GRACE_SECONDS", 60),
                   max(1, config.get("POS_SALES_RATE_WINDOW_SECONDS", 4 * 3600)))


def spare(level) -> int:
    return max(0, level.on_hand - level.reserved - level.committed - level.safety_stock)


def _always_fresh(freshness: Freshness, kind: str, code: str) -> bool:
    # Booked where this node runs: nothing it sold can be unknown here.
    return kind == "warehouse" or (freshness.role != "hq" and code == freshness.own_store)


def _aware(moment):
    return moment.replace(tzinfo=dt.timezone.utc) if moment is not None and moment.tzinfo is None else moment


def location_weight(freshness: Freshness, horizon: dt.datetime, kind: str, code: str, last_heard_at) -> int:
    """Percent of its spare stock one location contributes to online channels (horizon: now − stale_seconds)."""
    last_heard_at = _aware(last_heard_at)
    fresh = _always_fresh(freshness, kind, code) or (last_heard_at is not None and last_heard_at >= horizon)
    return 100 if fresh else freshness.stale_share_percent


def unheard_seconds(freshness: Freshness, now: dt.datetime, kind: str, code: str, last_heard_at) -> int:
    """How long past the grace HQ has heard nothing from a location: the stretch whose sales it cannot know."""
    if _always_fresh(freshness, kind, code):
        return 0
    last_heard_at = _aware(last_heard_at)
    if last_heard_at is None:
        return freshness.rate_window_seconds
    return max(0, int((now - last_heard_at).total_seconds()) - freshness.grace_seconds)


def sales_buffer(sold: int, unheard: int, window_seconds: int) -> int:
    """⌈sold / window × unheard⌉: the units a location likely sold that HQ has not heard of yet."""
    if sold <= 0 or unheard <= 0:
        return 0
    return -(-sold * unheard // window_seconds)


def recent_sales(session, location_ids, since: dt.datetime, product_ids=None) -> dict:
    """(location id, product id) → units sold there since ``since``, from the sales HQ holds."""
    if not location_ids:
        return {}
    statement = (select(_SALE.c.location_id, _SALE_LINE.c.product_id, func.sum(_SALE_LINE.c.quantity))
                 .select_from(_SALE.join(_SALE_LINE, _SALE_LINE.c.sale_id == _SALE.c.id))
                 .where(_SALE.c.created_at >= since, _SALE.c.location_id.in_(list(location_ids)))
                 .group_by(_SALE.c.location_id, _SALE_LINE.c.product_id))
    if product_ids is not None:
        statement = statement.where(_SALE_LINE.c.product_id.in_(list(product_ids)))
    return {(location_id, product_id): int(sold) for location_id, product_id, sold in session.execute(statement)}


def sales_buffers(session, freshness: Freshness, now: dt.datetime, unheard: dict, product_ids=None) -> dict:
    """(location id, product id) → sales buffer, for the locations in ``unheard`` (id → seconds) not up to date."""
    late = {location_id: seconds for location_id, seconds in unheard.items() if seconds > 0}
    since = now - dt.timedelta(seconds=freshness.rate_window_seconds)
    return {pair: buffer for pair, sold in recent_sales(session, late, since, product_ids).items()
            if (buffer := sales_buffer(sold, late[pair[0]], freshness.rate_window_seconds))}


def location_states(session, freshness: Freshness, now: dt.datetime) -> tuple[dict, dict]:
    """(location id → weight, location id → unheard seconds) for every location, as of ``now``."""
    horizon = stale_horizon(freshness, now)
    weights, unheard = {}, {}
    for row in session.execute(LOCATIONS):
        weights[row.id] = location_weight(freshness, horizon, row.kind, row.code, row.last_heard_at)
        if weights[row.id]:
            unheard[row.id] = unheard_seconds(freshness, now, row.kind, row.code, row.last_heard_at)
    return weights, unheard


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


def contribution(level, weight: int, buffer: int = 0) -> int:
    return max(0, spare(level) - buffer) * weight // 100


def ats(pool: int, rule: ChannelRule) -> int:
    value = max(0, (pool - rule.buffer) * rule.share_percent // 100)
    return min(value, rule.cap) if rule.cap is not None else value


def pools(levels, locations: dict, buffers: dict | None = None) -> dict:
    """product_id → pooled contribution, from level rows (any iterable of StockLevel-like rows)."""
    pooled: dict = {}
    buffers = buffers or {}
    for level in levels:
        weight = locations.get(level.location_id)
        if weight:
            pooled[level.product_id] = pooled.get(level.product_id, 0) + contribution(
                level, weight, buffers.get((level.location_id, level.product_id), 0))
    return pooled


def channel_availability(session, rule: ChannelRule, weights: dict, product_ids=None,
                         buffers: dict | None = None) -> dict:
    """product_id → ATS for the channel (products with no stock row anywhere are simply absent: 0)."""
    locations = serving(rule, weights)
    if not locations:
        return {}
    statement = select(StockLevel).where(StockLevel.location_id.in_(list(locations)))
    if product_ids is not None:
        statement = statement.where(StockLevel.product_id.in_(list(product_ids)))
    return {pid: ats(pool, rule) for pid, pool in pools(session.scalars(statement), locations, buffers).items()}


def availability_for_skus(session, freshness: Freshness, channel: str, skus: list[str]) -> tuple[list, list]:
    """([{sku, available}], unknown skus) for one channel; raises LookupError for an unknown channel."""
    rule = cached_channel_rule(session, channel)
    if rule is None:
        raise LookupError(channel)
    products = {p.sku: p.id for p in session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus)))}
    now = utcnow()
    weights, unheard = location_states(session, freshness, now)
    buffers = sales_buffers(session, freshness, now, unheard, list(products.values()))
    values = channel_availability(session, rule, weights, list(products.values()), buffers)
    seen, items = set(), []
    for sku in skus:
        if sku in products and sku not in seen:
            seen.add(sku)
            items.append({"sku": sku, "available": values.get(products[sku], 0)})
    return items, sorted({sku for sku in skus if sku not in products})


# Incremental publishing.  The till never waits for it: what to recompute is read in a plain read
# transaction (no write lock; WAL readers never block SQLite's writer), and what changed is written in
# short transactions of BATCH_PRODUCTS products each.  A round recomputes, per channel, only the products
# whose level moved at a location serving it (stock_level_mark, written by a trigger in the mover's own
# transaction), every product at a location whose weight changed (a store went stale or came back), and
# every product of a channel whose rule changed (or of every channel, on demand).
BATCH_PRODUCTS = 50
MARKS_PER_ROUND = 20_000
STATE_ID = 1
_MARK, _LEVEL, _PUBLISHED = StockLevelMark.__table__, StockLevel.__table__, ChannelAvailability.__table__
_STATE = AvailabilityState.__table__
_FEED = AvailabilityChange.__table__
IN_CHUNK = 500  # ids per IN (…): far below SQLite's and PostgreSQL's parameter limits


def rule_text(rule: ChannelRule) -> str:
    locations = "*" if rule.location_ids is None else ",".join(sorted(str(l) for l in rule.location_ids))
    return f"{locations}|{rule.buffer}|{rule.share_percent}|{rule.cap}"


@dataclass
class Plan:
    """What one round read, before it wrote anything."""
    generation: int | None  # None: no state row yet (a first round, or after a wipe)
    rules: dict  # code → ChannelRule
    rule_texts: dict
    weights: dict  # location id → percent
    buffers: dict  # (location id, product id) → sales buffer, at locations HQ has not heard from lately
    buffered: list  # those locations' ids, as text (recorded with the round)
    seqs: dict  # product id → the mark seqs read for it
    products: dict  # code → product ids to recompute for that channel
    levels: dict  # product id → [level rows]
    published: dict  # (code, product id) → available
    state_changed: bool


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def plan_round(session, freshness: Freshness, now: dt.datetime, full: bool = False) -> Plan:
    state = session.execute(select(_STATE.c.generation, _STATE.c.rules, _STATE.c.weights, _STATE.c.buffered)
                            .where(_STATE.c.id == STATE_ID)).first()
    generation, old_rules, old_weights, old_buffered = (
        (None, {}, {}, []) if state is None
        else (state.generation, state.rules or {}, state.weights or {}, state.buffered or []))
    # Marks first: a level that moves after this read leaves a mark this round does not clear.
    marks = session.execute(select(_MARK.c.seq, _MARK.c.location_id, _MARK.c.product_id)
                            .order_by(_MARK.c.seq).limit(MARKS_PER_ROUND)).all()
    rules = {code: rule for code in channel_codes(session) if (rule := channel_rule(session, code)) is not None}
    texts = {code: rule_text(rule) for code, rule in rules.items()}
    weights, unheard = location_states(session, freshness, now)
    weight_texts = {str(lid): w for lid, w in weights.items()}
    # A late store's buffer grows with every second nothing arrives, with no level moving: every product it
    # sold lately is recomputed each round, and once more when it is back up to date (its buffer gone).
    late = {lid for lid, seconds in unheard.items() if seconds > 0}
    buffered = sorted(str(lid) for lid in late)
    since = now - dt.timedelta(seconds=freshness.rate_window_seconds)
    recovered = {lid for lid in weights if str(lid) in set(old_buffered) and lid not in late}
    sold = recent_sales(session, late | recovered, since)
    buffers = {pair: buffer for pair, count in sold.items() if pair[0] in late
               and (buffer := sales_buffer(count, unheard[pair[0]], freshness.rate_window_seconds))}
    full_codes = set(rules) if full else {code for code in rules if old_rules.get(code) != texts[code]}
    reweighed = {lid for lid in weights if old_weights.get(str(lid), 0) != weights[lid]}
    seqs: dict = {}
    dirty: dict = {}  # product id → locations whose level moved (or whose weight did)
    for seq, location_id, product_id in marks:
        seqs.setdefault(product_id, []).append(seq)
        dirty.setdefault(product_id, set()).add(location_id)
    for location_id, product_id in sold:
        dirty.setdefault(product_id, set()).add(location_id)
    if reweighed:
        for location_id, product_id in session.execute(select(_LEVEL.c.location_id, _LEVEL.c.product_id)
                                                       .where(_LEVEL.c.location_id.in_(list(reweighed)))):
            dirty.setdefault(product_id, set()).add(location_id)
    levels: dict = {}
    level_columns = (_LEVEL.c.location_id, _LEVEL.c.product_id, _LEVEL.c.on_hand, _LEVEL.c.reserved,
                     _LEVEL.c.committed, _LEVEL.c.safety_stock)
    published: dict = {}
    published_columns = (_PUBLISHED.c.channel, _PUBLISHED.c.product_id, _PUBLISHED.c.available)
    if full_codes:
        for row in session.execute(select(*level_columns)):
            levels.setdefault(row.product_id, []).append(row)
        for row in session.execute(select(*published_columns).where(_PUBLISHED.c.channel.in_(sorted(full_codes)))):
            published[(row.channel, row.product_id)] = row.available
    else:
        for chunk in _chunks(list(dirty)):
            for row in session.execute(select(*level_columns).where(_LEVEL.c.product_id.in_(chunk))):
                levels.setdefault(row.product_id, []).append(row)
    partial_codes = [code for code in rules if code not in full_codes]
    for chunk in _chunks(list(dirty)) if partial_codes else ():
        for row in session.execute(select(*published_columns).where(_PUBLISHED.c.product_id.in_(chunk),
                                                                    _PUBLISHED.c.channel.in_(partial_codes))):
            published[(row.channel, row.product_id)] = row.available
    products: dict = {}
    for code, rule in rules.items():
        if code in full_codes:
            products[code] = set(levels) | {pid for (c, pid) in published if c == code}
        elif rule.location_ids is None:
            products[code] = set(dirty)
        else:
            products[code] = {pid for pid, where in dirty.items() if not where.isdisjoint(rule.location_ids)}
    return Plan(generation, rules, texts, weights, buffers, buffered, seqs, products, levels, published,
                state_changed=texts != old_rules or weight_texts != old_weights or buffered != sorted(old_buffered))


def figures(plan: Plan) -> dict:
    """(code, product id) → ATS now, for every pair the plan recomputes."""
    result = {}
    for code, rule in plan.rules.items():
        locations = serving(rule, plan.weights)
        for product_id in plan.products[code]:
            rows = [row for row in plan.levels.get(product_id, ()) if row.location_id in locations]
            result[(code, product_id)] = (ats(pools(rows, locations, plan.buffers).get(product_id, 0), rule)
                                          if rows else 0)
    return result


def _claim(session, generation: int | None) -> bool:
    """Take the next generation, or learn that another publisher wrote since this round read."""
    connection = session.connection()
    if generation is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        return connection.execute(dialect.insert(_STATE).values(id=STATE_ID, generation=1, rules={}, weights={},
                                                                buffered=[])
                                  .on_conflict_do_nothing(index_elements=[_STATE.c.id])
                                  .returning(_STATE.c.id)).first() is not None
    return connection.execute(update(_STATE).where(_STATE.c.id == STATE_ID, _STATE.c.generation == generation)
                              .values(generation=generation + 1)).rowcount == 1


def _skus(db, product_ids) -> dict:
    with db.unit_of_work(read_only=True) as uow:
        found = {}
        for chunk in _chunks(sorted(product_ids, key=str)):
            found.update(uow.session.execute(select(Product.id, Product.sku).where(Product.id.in_(chunk))).all())
        return found


@dataclass
class Batch:
    """One write transaction's rows, made before it takes the write lock."""
    new: list  # channel_availability rows never published before
    moved: list  # channel_availability rows whose figure moved
    changes: list  # AvailabilityChange objects for the feed (their seq is learned inside)
    seqs: list  # the mark seqs this batch clears


def _batch(plan: Plan, now: dt.datetime, changed: list, seqs: list, skus: dict) -> Batch:
    new = [{"channel": code, "product_id": pid, "available": value, "updated_at": now}
           for code, pid, value in changed if (code, pid) not in plan.published]
    moved = [{"c": code, "p": pid, "v": value, "t": now}
             for code, pid, value in changed if (code, pid) in plan.published]
    changes = [AvailabilityChange(channel=code, product_id=pid, sku=skus.get(pid, ""), available=value,
                                  previous=plan.published.get((code, pid)), at=now) for code, pid, value in changed]
    return Batch(new, moved, changes, seqs)


def _write_batch(session, batch: Batch) -> list[AvailabilityChange]:
    """Runs under SQLite's write lock, so only statements: the rows were made before it (an ORM flush of a
    few hundred feed rows held the till's next write for tens of milliseconds)."""
    connection = session.connection()
    fast_insert(connection, _PUBLISHED, batch.new)
    fast_execute_many(connection, ("availability.moved",), lambda: (
        update(_PUBLISHED).where(_PUBLISHED.c.channel == bindparam("c"), _PUBLISHED.c.product_id == bindparam("p"))
        .values(available=bindparam("v"), updated_at=bindparam("t"))), batch.moved)
    if batch.changes:
        # _claim has locked the state row, so no other publisher inserts feed rows until this commits:
        # everything above the highest seq now is this batch's.
        before = connection.execute(select(func.coalesce(func.max(_FEED.c.seq), 0))).scalar_one()
        fast_insert(connection, _FEED, [{"channel": c.channel, "product_id": c.product_id, "sku": c.sku,
                                         "available": c.available, "previous": c.previous, "at": c.at}
                                        for c in batch.changes])
        seqs = {(channel, pid): seq for seq, channel, pid in connection.execute(
            select(_FEED.c.seq, _FEED.c.channel, _FEED.c.product_id).where(_FEED.c.seq > before))}
        for change in batch.changes:
            change.seq = seqs[(change.channel, change.product_id)]
    for chunk in _chunks(batch.seqs):
        connection.execute(delete(_MARK).where(_MARK.c.seq.in_(chunk)))
    return batch.changes


def publish(db, freshness: Freshness, now: dt.datetime | None = None, full: bool = False,
            on_batch=None, after_read=None) -> list[AvailabilityChange]:
    """One round: publish every channel's ATS that differs from what was last published (one feed row
    each, never a row for a pair that was never published and has nothing to sell).  full: recompute
    every channel and product.  on_batch(session, changes) runs inside each write transaction;
    after_read() between reading and writing (where the till goes on selling).

    Returns the changes written; a round that finds another publisher wrote since it read stops
    there (its unread and uncleared marks wait for the next round), so an older figure never lands
    over a newer one.

    The writes commit without waiting for the disk (synchronous=NORMAL on SQLite): a power cut can
    lose only a tail of them, and then it loses the cleared marks with them (WAL keeps commit order),
    so the next round recomputes the same figures; the till's sales keep their fsync."""
    now = now or utcnow()
    with db.unit_of_work(read_only=True) as uow:
        plan = plan_round(uow.session, freshness, now, full)
    if after_read is not None:
        after_read()
    current = figures(plan)
    changed: dict = {}
    for (code, pid), value in current.items():
        before = plan.published.get((code, pid))
        if value != before and not (before is None and value == 0):
            changed.setdefault(pid, []).append((code, pid, value))
    skus = _skus(db, changed) if changed else {}
    products = sorted(set(changed) | set(plan.seqs), key=str)
    batches = list(_chunks(products, BATCH_PRODUCTS)) or ([[]] if plan.state_changed else [])
    generation, written = plan.generation, []
    for index, batch in enumerate(batches):
        rows = _batch(plan, now, [c for pid in batch for c in changed.get(pid, ())],
                      [seq for pid in batch for seq in plan.seqs.get(pid, ())], skus)
        with db.unit_of_work(durable=False) as uow:
            if not _claim(uow.session, generation):
                log.info("availability: another publisher wrote meanwhile; the rest waits for the next round")
                return written
            generation = 1 if generation is None else generation + 1
            changes = _write_batch(uow.session, rows)
            if index == len(batches) - 1:
                # Only a finished round records the rules and weights it worked from.
                uow.session.execute(update(_STATE).where(_STATE.c.id == STATE_ID)
                                    .values(rules=plan.rule_texts,
                                            weights={str(lid): w for lid, w in plan.weights.items()},
                                            buffered=plan.buffered))
            if on_batch is not None:
                on_batch(uow.session, changes)
            uow.commit()
        written += changes
    return written


def request_full_recompute(session) -> None:
    """The next round recomputes every channel and product (it forgets the rules it last worked from)."""
    session.execute(update(_STATE).where(_STATE.c.id == STATE_ID).values(rules={}))


def changes_since(session, channel: str, since: int, limit: int) -> list[AvailabilityChange]:
    return list(session.scalars(select(AvailabilityChange).where(AvailabilityChange.channel == channel,
                                                                 AvailabilityChange.seq > since)
                                .order_by(AvailabilityChange.seq).limit(limit)))
