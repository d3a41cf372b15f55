"""Customers in the back office: search by phone, e-mail or card as typed (any format) or by name, and one
page per customer with identities, consents, purchases across store, web and marketplaces, returns and the
timeline.  Read-only: changes to a profile go through the till or the API, where consent is recorded."""
from __future__ import annotations

import uuid

from flask import abort, redirect, render_template, url_for
from sqlalchemy import or_, select

from pos.customers.identity import IdentityError, normalise_card, normalise_email, normalise_phone
from pos.customers.merges import merged_ids, resolve
from pos.customers.models import Customer
from pos.customers.services import timeline
from pos.http import database, settings
from pos.loyalty.cards import card_url
from pos.office.paging import like, paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp

PURCHASES = ("sale", "order")
RETURNS = ("return", "cancellation")
TIMELINE_LIMIT = 500


def _normalised(normalise, *args) -> str | None:
    """What the typed text would be as this identity, or None when it cannot be one."""
    try:
        return normalise(*args)
    except IdentityError:
        return None


def matching(query: str):
    """Living profiles whose phone, e-mail or card is the typed text in any format, or whose name contains it."""
    known = [Customer.name.ilike(like(query))]
    phone = _normalised(normalise_phone, query, settings().country.code)
    email = _normalised(normalise_email, query) if "@" in query else None
    card = _normalised(normalise_card, query)
    known += [column == value for column, value in ((Customer.phone, phone), (Customer.email, email),
                                                    (Customer.card, card)) if value]
    return or_(*known)


@bp.get("/customers")
@page(MANAGER)
def customer_list():
    query = search_text()
    with database().unit_of_work(read_only=True) as uow:
        statement = select(Customer).where(Customer.merged_into.is_(None), Customer.erased_at.is_(None))
        if query:
            statement = statement.where(matching(query))
        listed = paged(uow.session, statement.order_by(Customer.created_at.desc(), Customer.id), scalars=True)
    return render_template("office/customer_list.html", listed=listed, query=query)


@bp.get("/customers/<uuid:customer_id>")
@page(MANAGER)
def customer_item(customer_id: uuid.UUID):
    with database().unit_of_work(read_only=True) as uow:
        customer = resolve(uow.session, customer_id)
        if customer is None:
            abort(404)
        if customer.id != customer_id:  # a duplicate merged into another: its page is the survivor's
            return redirect(url_for("office.customer_item", customer_id=customer.id))
        events = timeline(uow.session, customer.id, TIMELINE_LIMIT)
        merged = len(merged_ids(uow.session, customer.id)) - 1
        points = loyalty_summary(uow.session, customer.id)
    return render_template("office/customer_item.html", customer=customer, events=events, merged=merged, points=points,
                           purchases=[event for event in events if event["kind"] in PURCHASES],
                           returns=[event for event in events if event["kind"] in RETURNS])


def loyalty_summary(db_session, customer_id) -> dict | None:
    """Balance, tier and the card page's link where this node holds a loyalty programme."""
    from pos.loyalty import services
    if services.programme(db_session) is None:
        return None
    return {**services.summary(db_session, customer_id, history=0), "card_url": card_url(customer_id)}
