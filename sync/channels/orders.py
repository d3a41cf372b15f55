"""Marketplace orders into HQ's books, each exactly once.

Per channel, orders are pulled from the stored cursor.  Each order is imported in its own transaction,
keyed by the unique (channel, channel_order_id).  A paid order's pieces are reserved through sync.stock
(channel = the marketplace, reference = the order id) and committed at once; an unpaid one waits as
``pending`` and takes them when it is paid (once); one cancelled or refunded gives them back (released,
or returned on hand if already shipped) and says so on the buyer's timeline.  The buyer is matched to the central customer profile by e-mail or phone (or a profile is created), the order
goes on their timeline and ``customer.purchased`` is queued.  An order for pieces we no longer have is
kept (status ``oversold``) with an incident per short SKU.  The cursor only moves when every order of
the pull was imported, so a failure means a re-pull, which the unique key makes harmless."""
from __future__ import annotations

import logging

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplaces.base import OrderState
from marketplaces.errors import ChannelError
from pos.catalogue.models import Product
from pos.customers.models import Customer
from pos.customers.identity import IdentityError, normalise_email, normalise_phone
from pos.customers.services import create as find_or_create_profile
from pos.customers.services import record_interaction
from pos.loyalty.services import earn, lines_by_sku, reverse
from pos.db import utcnow
from pos.problems import ApiProblem
from pos.stock.models import ReservationLine
from sync.channels.accounts import clients, configured, timing
from sync.channels.incidents import raise_oversold, raise_unknown_listing
from sync.channels.models import ChannelIncident, ChannelListing, MarketplaceOrder
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
    """reserved | oversold | unmatched | pending | cancelled | refunded (what the order is now), or
    duplicate when nothing changed since it was imported."""
    return _import(session, freshness, region, order)[0]


def _import(session, freshness: Freshness, region: str, order) -> tuple[str, bool]:
    """(outcome, first time seen)."""
    record = session.scalar(select(MarketplaceOrder).where(MarketplaceOrder.channel == order.channel,
                                                           MarketplaceOrder.channel_order_id == order.channel_order_id)
                            .with_for_update())
    if record is not None:
        return _follow(session, freshness, record, order), False
    record = MarketplaceOrder(channel=order.channel, channel_order_id=order.channel_order_id, status="importing",
                              channel_status=(order.status or "")[:64], imported_at=utcnow())
    _copy_lines(record, order)
    total, currency = record.total, record.currency
    session.add(record)
    session.flush()  # the unique key answers here if another importer got this order first
    customer = buyer(session, order, region)
    record.customer_id = customer.id
    # Only a paid order takes stock; one that arrives unpaid waits, one that arrives cancelled or
    # refunded never takes any.
    matched = _take_stock(session, freshness, order, record) if order.state == OrderState.PAID else {}
    if order.state != OrderState.PAID:
        record.status = {OrderState.PENDING: "pending", OrderState.CANCELLED: "cancelled",
                         OrderState.REFUNDED: "refunded"}[order.state]
    details = {"total": total, "currency": currency, "status": record.status,
               "reservation_id": str(record.reservation_id) if record.reservation_id else None,
               "lines": [{"sku": sku, "quantity": q} for sku, (_pid, q) in matched.items()]
               or [{"sku": l.sku, "quantity": l.quantity} for l in order.lines],
               "delivery": order.delivery_method}
    record_interaction(session, customer.id, order.channel, "order", order.channel_order_id, details,
                       at=order.created_at or None)
    if order.state == OrderState.PAID:
        _purchased(session, record, customer, matched)
    session.flush()
    return record.status, True


def _copy_lines(record: MarketplaceOrder, order) -> None:
    record.total = sum(line.quantity * line.unit_price for line in order.lines)
    record.currency = (order.lines[0].currency if order.lines else "")[:3]
    record.lines = [{"sku": l.sku, "listing_id": l.listing_id, "quantity": l.quantity, "unit_price": l.unit_price,
                     "currency": l.currency} for l in order.lines]


def _take_stock(session, freshness, order, record: MarketplaceOrder) -> dict:
    """Reserve and commit a paid order's pieces (or raise incidents); {sku: (product_id, quantity)}."""
    matched, unknown = _sku_lines(session, order)
    if unknown:
        record.status = "unmatched"
        for line in unknown:
            raise_unknown_listing(session, channel=order.channel, channel_order_id=order.channel_order_id,
                                  order_id=record.id, listing_id=line.listing_id, sku=line.sku, requested=line.quantity)
    else:
        record.status = _reserve(session, freshness, order, record, matched)
    return matched


def _purchased(session, record: MarketplaceOrder, customer, matched: dict) -> None:
    # Loyalty: a paid order of a profile earns once per channel order id.
    earn(session, customer.id, f"order:{record.channel}:{record.channel_order_id}",
         lines_by_sku(session, [(line["sku"], line["quantity"] * (line.get("unit_price") or 0)) for line in record.lines]),
         record.currency, record.channel, record.channel_order_id)
    enqueue(session, "customer.purchased", {
        "customer": {"id": str(customer.id), "email": customer.email, "phone": customer.phone},
        "channel": record.channel, "order_id": record.channel_order_id, "status": record.status,
        "total": record.total, "currency": record.currency,
        "lines": [{"sku": sku, "quantity": q} for sku, (_pid, q) in matched.items()]})


FINAL = ("cancelled", "refunded")


def _follow(session, freshness, record: MarketplaceOrder, order) -> str:
    """An order seen before: act on what changed, once. A pending order that is now paid takes its
    stock; a cancelled or refunded one gives back what it took; anything else is a duplicate."""
    record.channel_status = (order.status or "")[:64]
    if record.status == "pending" and order.state == OrderState.PAID:
        _copy_lines(record, order)  # an unpaid order's lines may come without prices (Amazon's Pending)
        matched = _take_stock(session, freshness, order, record)
        _purchased(session, record, session.get(Customer, record.customer_id), matched)
        session.flush()
        return record.status
    if record.status in FINAL or order.state not in (OrderState.CANCELLED, OrderState.REFUNDED):
        return "duplicate"
    refunded = order.state == OrderState.REFUNDED
    took_stock = record.reservation_id is not None
    if took_stock:
        reservations.give_back(session, record.reservation_id,
                               f"{record.channel} order {record.channel_order_id} {order.state}")
    now = utcnow()
    note = f"the order was {order.state} on {record.channel}"
    for incident in session.scalars(select(ChannelIncident).where(ChannelIncident.order_id == record.id,
                                                                  ChannelIncident.status == "open")):
        incident.status, incident.resolved_at, incident.note = "resolved", now, note
    record.status = "refunded" if refunded else "cancelled"
    # Loyalty: what the order earned goes back with it (a marketplace refund is of the whole order).
    reverse(session, f"order:{record.channel}:{record.channel_order_id}",
            f"refund:{record.channel}:{record.channel_order_id}", record.total, record.channel,
            record.channel_order_id, whole=True)
    if record.customer_id is not None:
        # A refund is the marketplace's return: on the timeline as one, like a store return.
        record_interaction(session, record.customer_id, record.channel, "return" if refunded else "cancellation",
                           record.channel_order_id,
                           {"status": record.status, "total": record.total, "currency": record.currency,
                            "stock_returned": took_stock, "lines": _our_lines(session, record)})
    session.flush()
    return record.status


def _our_lines(session, record: MarketplaceOrder) -> list[dict]:
    """The order's lines in our SKUs where it took stock, else as the channel named them."""
    if record.reservation_id is None:
        return [{"sku": line["sku"], "quantity": line["quantity"]} for line in record.lines]
    lines: dict[str, int] = {}
    for line in session.scalars(select(ReservationLine).where(ReservationLine.reservation_id == record.reservation_id)):
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    return [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()]


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


def _known_statuses(db, channel: str):
    """For the client: the channel status of an order as last imported (None: never imported)."""
    def known(channel_order_id: str) -> str | None:
        with db.unit_of_work(read_only=True) as uow:
            return uow.session.scalar(select(MarketplaceOrder.channel_status).where(
                MarketplaceOrder.channel == channel, MarketplaceOrder.channel_order_id == channel_order_id))
    return known


def pull_channel(app, channel: str) -> dict:
    registry = clients(app)
    db = app.extensions["pos.db"]
    with db.unit_of_work(read_only=True) as uow:
        state = channel_state(uow.session, channel, create=False)
        if in_backoff(state):
            return {"channel": channel, "skipped": "back-off"}
        cursor = state.order_cursor if state is not None else None
    try:
        orders, new_cursor = registry.get(channel).pull_orders(cursor, known=_known_statuses(db, channel))
    except (ChannelError, requests.RequestException, RuntimeError) as exc:
        log.warning("order pull from %s failed: %s", channel, type(exc).__name__)
        with db.unit_of_work() as uow:
            back_off(channel_state(uow.session, channel), f"{type(exc).__name__}: {exc}", timing(app.config)["max_backoff"])
            uow.commit()
        return {"channel": channel, "error": type(exc).__name__}
    freshness, region = Freshness.from_config(app.config), app.config["POS_COUNTRY"]
    counts: dict[str, int] = {}
    failed = new = 0
    for order in orders:
        try:
            with db.unit_of_work() as uow:
                outcome, first_seen = _import(uow.session, freshness, region, order)
                uow.commit()
        except IntegrityError:
            outcome, first_seen = "duplicate", False  # imported meanwhile by another run: the unique key kept it once
        except Exception:
            log.exception("importing %s order %s failed", channel, order.channel_order_id)
            failed += 1
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
        new += first_seen
    with db.unit_of_work() as uow:
        state = channel_state(uow.session, channel)
        if failed:
            state.last_error = f"{failed} order(s) failed to import; the pull is repeated from the same cursor"
        else:
            state.order_cursor = new_cursor
            recovered(state)
        state.last_pull_at = utcnow()
        state.orders_total = (state.orders_total or 0) + new
        uow.commit()
    return {"channel": channel, "orders": counts, "failed": failed}


def pull_round(app) -> list[dict]:
    return [pull_channel(app, channel) for channel in configured(app.config)]
