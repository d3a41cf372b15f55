"""Marketplace orders into HQ's books, each exactly once.

Per channel, orders are pulled from the stored cursor.  Each order is imported in its own transaction,
keyed by the unique (channel, channel_order_id): its pieces are reserved through sync.stock (channel =
the marketplace, reference = the order id) and committed at once, since the buyer has already paid; the
buyer is matched to the central customer profile by e-mail or phone (or a profile is created), the order
goes on their timeline and ``customer.purchased`` is queued.  An order for pieces we no longer have is
kept (status ``oversold``) with an incident per short SKU.  The cursor only moves when every order of
the pull was imported, so a failure means a re-pull, which the unique key makes harmless."""
from __future__ import annotations

import logging

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplaces.errors import ChannelError
from pos.catalogue.models import Product
from pos.customers.identity import IdentityError, normalise_email, normalise_phone
from pos.customers.services import create as find_or_create_profile
from pos.customers.services import record_interaction
from pos.db import utcnow
from pos.problems import ApiProblem
from sync.channels.accounts import clients, configured, timing
from sync.channels.incidents import raise_oversold, raise_unknown_listing
from sync.channels.models import ChannelListing, MarketplaceOrder
from sync.channels.state import back_off, channel_state, in_backoff, recovered
from sync.stock import reservations
from sync.stock.availability import Freshness
from sync.webhooks.events import enqueue

log = logging.getLogger(__name__)

HOLD_SECONDS = reservations.MAX_TTL_SECONDS  # committed straight away; the hold's clock never matters


def _identity(normalise, raw, *args):
    try:
        return normalise(raw, *args)
    except IdentityError:
        return None  # a channel's odd buyer contact must not stop the order


def buyer(session, order, region: str):
    """The buyer's central profile: found by e-mail or phone (merges followed), else created."""
    values = {"name": (order.buyer_name or "")[:200],
              "email": _identity(normalise_email, order.buyer_email),
              "phone": _identity(normalise_phone, order.buyer_phone, region)}
    customer, _created = find_or_create_profile(session, values, origin=order.channel)
    return customer


def _sku_lines(session, order) -> tuple[dict, list]:
    """{sku: (product_id, quantity)} and the lines nothing explains.

    A line is matched by its listing id, else by its SKU read as a listing id (eBay and Amazon orders
    name the seller's inventory SKU, which is what we map), else by its SKU as our own product SKU."""
    names = {value for line in order.lines for value in (line.listing_id, line.sku) if value}
    listings = dict(session.execute(select(ChannelListing.listing_id, ChannelListing.sku).where(
        ChannelListing.channel == order.channel, ChannelListing.listing_id.in_(list(names)))).all())
    candidates = set(listings.values()) | {line.sku for line in order.lines if line.sku}
    products = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(list(candidates)))).all())
    matched, unknown = {}, []
    for line in order.lines:
        sku = listings.get(line.listing_id) or listings.get(line.sku) or line.sku
        if sku not in products:
            unknown.append(line)
            continue
        product_id, quantity = matched.get(sku, (products[sku], 0))
        matched[sku] = (product_id, quantity + line.quantity)
    return matched, unknown


def import_order(session, freshness: Freshness, region: str, order) -> str:
    """reserved | oversold | unmatched | duplicate."""
    if session.scalar(select(MarketplaceOrder.id).where(MarketplaceOrder.channel == order.channel,
                                                        MarketplaceOrder.channel_order_id == order.channel_order_id)):
        return "duplicate"
    matched, unknown = _sku_lines(session, order)
    total = sum(line.quantity * line.unit_price for line in order.lines)
    currency = order.lines[0].currency if order.lines else ""
    record = MarketplaceOrder(channel=order.channel, channel_order_id=order.channel_order_id, status="importing",
                              total=total, currency=currency[:3], channel_status=(order.status or "")[:64],
                              imported_at=utcnow(),
                              lines=[{"sku": l.sku, "listing_id": l.listing_id, "quantity": l.quantity,
                                      "unit_price": l.unit_price, "currency": l.currency} for l in order.lines])
    session.add(record)
    session.flush()  # the unique key answers here if another importer got this order first
    if unknown:
        record.status = "unmatched"
        for line in unknown:
            raise_unknown_listing(session, channel=order.channel, channel_order_id=order.channel_order_id,
                                  order_id=record.id, listing_id=line.listing_id, sku=line.sku, requested=line.quantity)
    else:
        record.status = _reserve(session, freshness, order, record, matched)
    customer = buyer(session, order, region)
    record.customer_id = customer.id
    details = {"total": total, "currency": currency, "status": record.status,
               "reservation_id": str(record.reservation_id) if record.reservation_id else None,
               "lines": [{"sku": sku, "quantity": q} for sku, (_pid, q) in matched.items()],
               "delivery": order.delivery_method}
    record_interaction(session, customer.id, order.channel, "order", order.channel_order_id, details,
                       at=order.created_at or None)
    enqueue(session, "customer.purchased", {
        "customer": {"id": str(customer.id), "email": customer.email, "phone": customer.phone},
        "channel": order.channel, "order_id": order.channel_order_id, "status": record.status,
        "total": total, "currency": currency,
        "lines": [{"sku": sku, "quantity": q} for sku, (_pid, q) in matched.items()]})
    session.flush()
    return record.status


def _reserve(session, freshness, order, record: MarketplaceOrder, matched: dict) -> str:
    lines = [{"sku": sku, "quantity": quantity} for sku, (_pid, quantity) in matched.items()]
    try:
        with session.begin_nested():
            held = reservations.hold(session, freshness, order.channel, order.channel_order_id, HOLD_SECONDS, lines)
            reservations.commit(session, held.id, order.channel_order_id)
    except ApiProblem as problem:
        if problem.slug != "insufficient-stock":
            raise
        for short in problem.extra.get("short", []):
            product_id, _quantity = matched[short["sku"]]
            raise_oversold(session, channel=order.channel, channel_order_id=order.channel_order_id,
                           order_id=record.id, product_id=product_id, sku=short["sku"],
                           requested=short["requested"], available=short["available"])
        return "oversold"
    record.reservation_id = held.id
    return "reserved"


def pull_channel(app, channel: str) -> dict:
    registry = clients(app)
    db = app.extensions["pos.db"]
    with db.unit_of_work(read_only=True) as uow:
        state = channel_state(uow.session, channel, create=False)
        if in_backoff(state):
            return {"channel": channel, "skipped": "back-off"}
        cursor = state.order_cursor if state is not None else None
    try:
        orders, new_cursor = registry.get(channel).pull_orders(cursor)
    except (ChannelError, requests.RequestException, RuntimeError) as exc:
        log.warning("order pull from %s failed: %s", channel, type(exc).__name__)
        with db.unit_of_work() as uow:
            back_off(channel_state(uow.session, channel), f"{type(exc).__name__}: {exc}", timing(app.config)["max_backoff"])
            uow.commit()
        return {"channel": channel, "error": type(exc).__name__}
    freshness, region = Freshness.from_config(app.config), app.config["POS_COUNTRY"]
    counts: dict[str, int] = {}
    failed = 0
    for order in orders:
        try:
            with db.unit_of_work() as uow:
                outcome = import_order(uow.session, freshness, region, order)
                uow.commit()
        except IntegrityError:
            outcome = "duplicate"  # imported meanwhile by another run: the unique key kept it once
        except Exception:
            log.exception("importing %s order %s failed", channel, order.channel_order_id)
            failed += 1
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
    with db.unit_of_work() as uow:
        state = channel_state(uow.session, channel)
        if failed:
            state.last_error = f"{failed} order(s) failed to import; the pull is repeated from the same cursor"
        else:
            state.order_cursor = new_cursor
            recovered(state)
        state.last_pull_at = utcnow()
        state.orders_total = (state.orders_total or 0) + sum(n for k, n in counts.items() if k != "duplicate")
        uow.commit()
    return {"channel": channel, "orders": counts, "failed": failed}


def pull_round(app) -> list[dict]:
    return [pull_channel(app, channel) for channel in configured(app.config)]
