"""What a message says: the customer, the event that started the run, and facts read when it is sent
(today's prices, the courier's window) through the other areas' public reads."""
from __future__ import annotations

import uuid

import phonenumbers
from sqlalchemy import select

from pos.catalogue.models import Product
from pos.terminal.i18n import LANGUAGES
from sync.journeys.links import sign
from sync.journeys.messages import money

PHONE_LANGUAGES = {48: "pl", 420: "cs", 380: "uk"}


def language_of(customer, event: dict | None, default: str) -> str:
    """The language the customer used with us (a web cart says it), else their phone's country, else the shop's."""
    asked = ((event or {}).get("details") or {}).get("language")
    if asked in LANGUAGES:
        return asked
    if customer.phone:
        try:
            code = phonenumbers.parse(customer.phone).country_code
        except phonenumbers.NumberParseException:
            code = None
        if code in PHONE_LANGUAGES:
            return PHONE_LANGUAGES[code]
    return default


def _cart_lines(session, details: dict, language: str, fallback_currency: str):
    wanted = [line for line in details.get("lines") or [] if isinstance(line, dict)]
    products = {p.sku: p for p in session.scalars(select(Product).where(
        Product.sku.in_([str(line.get("sku")) for line in wanted])))}
    lines, total, currency = [], 0, fallback_currency
    for line in wanted:
        product = products.get(str(line.get("sku")))
        quantity = int(line.get("quantity") or 1)
        if product is None or not product.active:
            continue  # no longer sold: not offered again
        amount = product.price * quantity if product.unit != "kg" else product.price * quantity // 1000
        currency = product.currency
        total += amount
        lines.append({"sku": product.sku, "name": product.name, "quantity": quantity,
                      "amount": money(amount, product.currency, language)})
    return lines, money(total, currency, language)


def _delivery(session, reference: str) -> dict:
    from pos.dispatch.mapping import delivery_json
    from pos.dispatch.models import Delivery
    try:
        row = session.get(Delivery, uuid.UUID(reference))
    except ValueError:
        row = None
    return delivery_json(row) if row is not None else {}


def values_for(session, settings, row, customer) -> tuple[str, dict]:
    payload = row.payload
    event = payload.get("event") or {}
    details = event.get("details") or {}
    language = language_of(customer, event, settings.language)
    values = {"customer": {"name": customer.name or ""}, "reference": event.get("reference", ""),
              "status": details.get("status"), "reason": details.get("reason"),
              "window_start": None, "window_end": None, "lines": [], "total": "",
              "coupon": payload.get("coupon") or {}, "unsubscribe_url": "", "survey_url": ""}
    token = sign(settings.secret, "unsubscribe", {"c": str(customer.id), "ch": row.kind, "l": language})
    values["unsubscribe_url"] = f"{settings.public_url}/journeys/unsubscribe/{token}"
    survey = sign(settings.secret, "survey", {"r": str(row.run_id), "c": str(customer.id), "l": language})
    values["survey_url"] = f"{settings.public_url}/journeys/survey/{survey}"
    if event.get("kind") == "cart":
        values["lines"], values["total"] = _cart_lines(session, details, language, settings.currency)
    if event.get("kind") == "delivery":
        window = _delivery(session, event.get("reference", "")).get("window") or {}
        values["window_start"], values["window_end"] = window.get("start"), window.get("end")
    if values["coupon"]:
        coupon = values["coupon"]
        values["coupon"] = {**coupon, "amount": money(coupon["amount"], coupon["currency"], language)}
    return language, values


def sms_phone(session, row, customer) -> str | None:
    event = row.payload.get("event") or {}
    if event.get("kind") == "delivery":
        phone = _delivery(session, event.get("reference", "")).get("phone")
        if phone:
            return phone
    return customer.phone
