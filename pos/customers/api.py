"""Customers at the till, at HQ and standalone: find, create, profile with timeline, merges, GDPR."""
from __future__ import annotations

import uuid

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlalchemy import select

from pos.customers import remote, services
from pos.customers.identity import IdentityError
from pos.customers.merges import resolve
from pos.customers.models import Customer, CustomerMerge
from pos.feed.services import record_change
from pos.http import BEARER, run, settings
from pos.problems import ApiProblem
from pos.schemas import Approval, Strict
from pos.staff.services import approve
from pos.stores.auth import caller

api = APIBlueprint("customers", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="customers")])


class LookupQuery(BaseModel):
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    card: str | None = Field(default=None, max_length=80)


class CustomerIn(Strict):
    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    card: str | None = Field(default=None, max_length=80)
    marketing_email: bool = False
    marketing_sms: bool = False


class CustomerEdit(Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    card: str | None = Field(default=None, max_length=80)
    marketing_email: bool | None = None
    marketing_sms: bool | None = None


class CustomerPath(BaseModel):
    customer_id: uuid.UUID


class EraseIn(Strict):
    approval: Approval
    reason: str = Field(min_length=1, max_length=300)


def _region(who) -> str:
    location = who.store if who.store is not None else who.till.location
    return location.country


def _origin(who) -> str:
    if who.store is not None:
        return f"store:{who.store.code}"
    return "hq" if current_app.config["POS_ROLE"] == "hq" else f"store:{who.till.location.code}"


def _identities(region: str, phone=None, email=None, card=None) -> dict:
    try:
        return services.identities(region, phone, email, card)
    except IdentityError as exc:
        raise ApiProblem(422, "invalid-field", str(exc), field=exc.field) from None


def _ask_hq(call, *args):
    """HQ's answer, or None when HQ cannot be reached (the till then uses its own copy)."""
    if not remote.online():
        return None
    try:
        return call(*args)
    except remote.HqUnavailable:
        return None


@api.get("/customers", security=BEARER)
def find_customers(query: LookupQuery):
    """Find a customer by phone, e-mail or loyalty card.  A store asks HQ first and keeps HQ's answer;
    while HQ is unreachable it answers from its own copy (``source`` says which)."""
    if not (query.phone or query.email or query.card):
        raise ApiProblem(422, "invalid-field", "phone: give a phone, an email or a card", field="phone")
    from_hq = _ask_hq(remote.lookup, query.model_dump())

    def work(session, _):
        who = caller(session)
        if from_hq is not None:
            found = [services.apply_profile(session, payload) for payload in from_hq]
            return {"source": "hq", "customers": [services.customer_json(c) for c in found]}
        keys = _identities(_region(who), query.phone, query.email, query.card)
        return {"source": "local", "customers": [services.customer_json(c) for c in services.find(session, **keys)]}
    return run(work, auth=False)


@api.post("/customers", security=BEARER, responses={201: None})
def create_customer(body: CustomerIn):
    """Create a profile, or answer with the one already known by that phone, e-mail or card (200).
    A store creates it at HQ while the link is up, and locally (synced later) while it is not."""
    from_hq = _ask_hq(remote.create, body.model_dump())

    def work(session, _):
        who = caller(session)
        if from_hq is not None:
            status, payload = from_hq
            if status >= 400:
                raise ApiProblem(status, payload.get("type", "").rsplit("/", 1)[-1] or "hq-refused",
                                 payload.get("detail", "HQ refused the customer"), field=payload.get("field"))
            return {"source": "hq", **services.customer_json(services.apply_profile(session, payload))}, status
        values = {**body.model_dump(), **_identities(_region(who), body.phone, body.email, body.card)}
        customer, created = services.create(session, values, _origin(who))
        return {"source": "local", **services.customer_json(customer)}, 201 if created else 200
    return run(work, auth=False)


@api.get("/customers/merges", security=BEARER)
def list_merges():
    """Every merge of two profiles into one, newest first, for review (managers)."""
    def work(session, _):
        caller(session, stores=False, manager=True)
        merges = session.scalars(select(CustomerMerge).order_by(CustomerMerge.merged_at.desc()).limit(1000))
        return {"merges": [{"survivor_id": str(m.survivor_id), "merged_id": str(m.merged_id),
                            "matched_on": m.matched_on, "origin": m.origin, "merged_at": m.merged_at.isoformat()}
                           for m in merges]}
    return run(work, read_only=True, auth=False)


@api.get("/customers/<uuid:customer_id>", security=BEARER)
def get_customer(path: CustomerPath):
    """The profile and its timeline across channels; a merged id answers with the surviving profile."""
    def work(session, _):
        caller(session)
        found = services.profile(session, path.customer_id)
        if found is None:
            raise ApiProblem(404, "unknown-customer", f"customer_id: no customer {path.customer_id}",
                             field="customer_id")
        return found
    return run(work, read_only=True, auth=False)


@api.patch("/customers/<uuid:customer_id>", security=BEARER)
def edit_customer(path: CustomerPath, body: CustomerEdit):
    """Change the name, identities or marketing consents (e-mail, SMS); the change reaches HQ by sync."""
    def work(session, _):
        who = caller(session)
        customer = _living(session, path.customer_id)
        keys = _identities(_region(who), body.phone, body.email, body.card)
        values = {**body.model_dump(), **{k: v for k, v in keys.items() if v}}
        return services.customer_json(services.edit(session, customer, values, _origin(who)))
    return run(work, auth=False)


def _living(session, customer_id) -> Customer:
    customer = resolve(session, customer_id)
    if customer is None:
        raise ApiProblem(404, "unknown-customer", f"customer_id: no customer {customer_id}", field="customer_id")
    if customer.erased_at is not None:
        raise ApiProblem(410, "customer-erased", f"customer_id: customer {customer_id} was erased",
                         field="customer_id")
    return customer


@api.get("/customers/<uuid:customer_id>/export", security=BEARER)
def export_customer(path: CustomerPath):
    """GDPR access: everything this node holds about the person (managers)."""
    def work(session, _):
        caller(session, stores=False, manager=True)
        from pos.sales.models import Sale
        customer = _living(session, path.customer_id)
        found = services.profile(session, customer.id, timeline_limit=None)
        ids = [customer.id, *(uuid.UUID(i) for i in found["merged_ids"])]
        sales = session.scalars(select(Sale).where(Sale.customer_id.in_(ids)).order_by(Sale.created_at))
        merges = session.scalars(select(CustomerMerge).where(CustomerMerge.survivor_id == customer.id))
        return {**found, "sales": [{"id": str(s.id), "created_at": s.created_at.isoformat(), "total": s.total,
                                    "currency": s.currency, "receipt_number": s.receipt_number} for s in sales],
                "merges": [{"merged_id": str(m.merged_id), "matched_on": m.matched_on,
                            "merged_at": m.merged_at.isoformat()} for m in merges]}
    return run(work, read_only=True, auth=False)


@api.post("/customers/<uuid:customer_id>/erase", security=BEARER)
def erase_customer(path: CustomerPath, body: EraseIn):
    """GDPR erasure, approved by a manager's PIN and audited: sales stay for the books, the person's name,
    phone, e-mail, card and timeline details go, here and (through the feed) at every store."""
    def work(session, _):
        who = caller(session, stores=False)
        customer = _living(session, path.customer_id)
        approve(session, body.approval, settings().pin_policy, action="customer_erase", cashier=who.till.cashier,
                terminal=who.till.terminal, subject=f"customer {customer.id}", details={"reason": body.reason})
        ids = services.erase(session, customer)
        for row in session.scalars(select(Customer).where(Customer.id.in_(ids))):
            record_change(session, "customer", row.id, services.customer_json(row), op="erased")
        return {"erased": [str(i) for i in ids]}
    return run(work, auth=False)
