"""Sales channels and the locations that serve them: table rows, or these defaults when a code has no row.

Defaults: webshop and the marketplaces are served by every store and warehouse (marketplaces keep
one piece per SKU back, because they learn of our changes late); ``collect:<store>`` is served by
that store alone.

Every reservation needs its channel's rule, and rules change a few times a year: ``cached_channel_rule``
keeps each for RULE_SECONDS per process and database.  A change made here forgets them all once it
commits; a change made by another process is seen within RULE_SECONDS."""
from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import event, select

from pos.stock.models import ChannelLocation, SalesChannel
from pos.stores.models import Location

MARKETPLACES = ("allegro", "amazon", "ebay", "shopify")
COLLECT = "collect:"


@dataclass(frozen=True)
class ChannelRule:
    code: str
    location_ids: frozenset | None  # None: every store and warehouse
    buffer: int = 0
    share_percent: int = 100
    cap: int | None = None


def channel_rule(session, code: str) -> ChannelRule | None:
    row = session.get(SalesChannel, code)
    if row is not None:
        locations = None
        if not row.all_locations:
            locations = frozenset(session.scalars(select(ChannelLocation.location_id)
                                                  .where(ChannelLocation.channel_code == code)))
        return ChannelRule(code, locations, row.buffer, row.share_percent, row.cap)
    if code == "webshop":
        return ChannelRule(code, None)
    if code in MARKETPLACES:
        return ChannelRule(code, None, buffer=1)
    if code.startswith(COLLECT):
        store = session.scalars(select(Location.id).where(Location.code == code[len(COLLECT):],
                                                          Location.kind == "store")).one_or_none()
        if store is not None:
            return ChannelRule(code, frozenset([store]))
    return None


RULE_SECONDS = 5.0
_cached_rules: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine → {code: (until, rule)}
_cache_guard = threading.Lock()


def cached_channel_rule(session, code: str) -> ChannelRule | None:
    """channel_rule, remembered briefly; an unknown code is not remembered (a store may open any minute)."""
    engine = session.get_bind()
    now = time.monotonic()
    with _cache_guard:
        until, rule = _cached_rules.get(engine, {}).get(code, (0.0, None))
    if until > now:
        return rule
    rule = channel_rule(session, code)
    if rule is not None:
        with _cache_guard:
            _cached_rules.setdefault(engine, {})[code] = (now + RULE_SECONDS, rule)
    return rule


def forget_channel_rules(*_args) -> None:
    with _cache_guard:
        _cached_rules.clear()


def channel_codes(session) -> list[str]:
    """Every channel ATS is published for: configured rows, the defaults and click-and-collect per store."""
    codes = set(session.scalars(select(SalesChannel.code)))
    codes.update(("webshop", *MARKETPLACES))
    codes.update(COLLECT + code for code in session.scalars(select(Location.code).where(Location.kind == "store")))
    return sorted(codes)


def configure_channel(session, code: str, *, locations: list | None = None, buffer: int = 0,
                      share_percent: int = 100, cap: int | None = None) -> SalesChannel:
    """Create or replace a channel's rule; locations=None means every store and warehouse."""
    # Forget now and again at commit, so no reader caches the old row in between.
    forget_channel_rules()
    event.listen(session, "after_commit", forget_channel_rules, once=True)
    row = session.get(SalesChannel, code) or SalesChannel(code=code)
    row.all_locations = locations is None
    row.buffer, row.share_percent, row.cap = buffer, share_percent, cap
    session.add(row)
    session.flush()
    for link in session.scalars(select(ChannelLocation).where(ChannelLocation.channel_code == code)):
        session.delete(link)
    session.flush()
    for location_id in locations or ():
        session.add(ChannelLocation(channel_code=code, location_id=location_id))
    session.flush()
    return row
