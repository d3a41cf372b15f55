"""A web order: the customer found (by e-mail, then phone) or created, the order on their timeline,
its reservation committed, and customer.purchased sent to subscribers."""
from __future__ import annotations

import uuid

import phonenumbers
from flask import current_app
from sqlalchemy import select

from pos.catalogue.models import Product
from pos.customers.models import Customer
from pos.customers.services import record_interaction
from pos.dispatch.services import deliver_home, shop_today
from pos.loyalty.services import earn, lines_by_sku
from pos.problems import ApiProblem
from sync.stock import reservations
from sync.webhooks.events import enqueue


def normalised_email(raw: str | None) -> str | None:
    value = (raw or "").strip().lower()
    if not value:
        return None
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise ApiProblem(422, "invalid-field", "customer.email: not an e-mail address", field="customer.email")
    return value


def normalised_phone(raw: str | None, region: str) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApiProblem(422, "invalid-field", "customer.phone: not a valid phone number", field="customer.phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_or_create_customer(session, email: str | None, phone: str | None, name: str) -> tuple[Customer, bool]:
    if not email and not phone:
        raise ApiProblem(422, "invalid-field", "customer: give an e-mail or a phone number", field="customer")
    for column, value in ((Customer.email, email), (Customer.phone, phone)):
        if value:
            found = session.scalars(select(Customer).where(column == value).order_by(Customer.created_at)).first()
            if found is not None:
                if email and not found.email:
                    found.email = email
                if phone and not found.phone:
                    found.phone = phone
                return found, False
    customer = Customer(name=name, email=email, phone=phone)
    session.add(customer)
    session.flush()
    return customer, True


def record_order(session, order, region: str) -> dict:
    email = normalised_email(order.customer.email)
    phone = normalised_phone(order.customer.phone, region)
    skus = [line.sku for line in order.lines]
    known = set(session.scalars(select(Product.sku).where(Product.sku.in_(skus))))
    for index, sku in enumerate(skus):
        if sku not in known:
            raise ApiProblem(422, "unknown-sku", f"lines[{index}].sku: no product {sku!r}", field=f"lines[{index}].sku")
    if order.delivery.method == "collect" and not order.delivery.store:
        raise ApiProblem(422, "invalid-field", "delivery.store: click-and-collect needs the store", field="delivery.store")
    reservation = None
    if order.reservation_id:
        try:
            reservation_id = uuid.UUID(order.reservation_id)
        except ValueError:
            raise ApiProblem(422, "invalid-field", "reservation_id: not a reservation id",
                             field="reservation_id") from None
        reservation = reservations.commit(session, reservation_id, order.order_id)
    customer, created = find_or_create_customer(session, email, phone, order.customer.name)
    total = sum(line.quantity * line.unit_price for line in order.lines)
    details = {"total": total, "currency": order.currency, "delivery": order.delivery.model_dump(mode="json"),
               "lines": [line.model_dump() for line in order.lines],
               "reservation_id": order.reservation_id}
    record_interaction(session, customer.id, order.channel, "order", order.order_id, details)
    earned = earn(session, customer.id, f"order:{order.channel}:{order.order_id}",
                  lines_by_sku(session, [(line.sku, line.quantity * line.unit_price) for line in order.lines]),
                  order.currency, order.channel, order.order_id, order.paid_with_points)
    delivery = None
    if order.delivery.method == "delivery" and order.delivery.courier is not None:
        country = current_app.extensions["pos.settings"].country
        delivery = deliver_home(session, "web_order", order.order_id, customer.id, order.delivery.courier,
                                country.code, shop_today(country.timezone), f"webshop:{order.channel}")
    enqueue(session, "customer.purchased", {
        "customer": {"id": str(customer.id), "email": customer.email, "phone": customer.phone},
        "channel": order.channel, "order_id": order.order_id, "total": total, "currency": order.currency,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines]})
    return {"order_id": order.order_id, "channel": order.channel, "customer_id": str(customer.id),
            "customer_created": created, "total": total, "currency": order.currency,
            "reservation": reservations.reservation_json(reservation) if reservation else None,
            "delivery_id": str(delivery.id) if delivery else None,
            "points_earned": earned.points if earned else 0}
