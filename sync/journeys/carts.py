"""Cart events from the web shop: they land on the customer's timeline, where journeys read them."""
from __future__ import annotations

from sqlalchemy import select

from pos.catalogue.models import Product
from pos.customers import services as customers
from pos.customers.identity import IdentityError
from pos.problems import ApiProblem
from sync.journeys import consents


def record_cart(session, body, region: str) -> dict:
    try:
        ids = customers.identities(region, body.customer.phone, body.customer.email, body.customer.card)
    except IdentityError as exc:
        raise ApiProblem(422, "invalid-field", f"customer.{exc}", field=f"customer.{exc.field}") from None
    if not any(ids.values()):
        raise ApiProblem(422, "invalid-field", "customer: give an e-mail, a phone number or a loyalty card",
                         field="customer")
    known = set(session.scalars(select(Product.sku).where(Product.sku.in_([line.sku for line in body.lines]))))
    for index, line in enumerate(body.lines):
        if line.sku not in known:
            raise ApiProblem(422, "unknown-sku", f"lines[{index}].sku: no product {line.sku!r}",
                             field=f"lines[{index}].sku")
    customer, created = customers.create(session, {**ids, "name": body.customer.name or ""}, origin=body.channel)
    if body.consent is not None:
        _consent(session, customer, body.consent, body.channel)
    details = {"action": body.action, "language": body.language,
               "lines": [{"sku": line.sku, "quantity": line.quantity} for line in body.lines]}
    customers.record_interaction(session, customer.id, body.channel, "cart", body.cart_id, details)
    return {"cart_id": body.cart_id, "action": body.action, "customer_id": str(customer.id),
            "customer_created": created}


def _consent(session, customer, consent, channel: str) -> None:
    """The web shop tells us what the person ticked, and how; the profile (and every store) learns it too."""
    flags = {}
    for name, given in (("email", consent.email), ("sms", consent.sms)):
        if given is not None:
            consents.record(session, customer.id, name, given, f"{channel}: {consent.how}")
            flags[consents.CHANNELS[name]] = given
    if flags:
        customers.edit(session, customer, flags, origin=channel)
