"""Webhook subscriptions of the calling API client, and its deliveries (failed ones first of all)."""
from __future__ import annotations

import secrets
import uuid
from typing import Literal

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlalchemy import select

from pos.http import BEARER
from pos.problems import ApiProblem
from pos.schemas import Strict
from pos.stock.problem_docs import problem_responses
from sync.webhooks.delivery import delivery_json
from sync.webhooks.events import EVENTS
from sync.webhooks.models import WebhookDelivery, WebhookSubscription
from sync.webhooks.targets import refusal
from sync.webshop.http import client_run
from sync.webshop.schemas import RequiredIdempotencyKey

api = APIBlueprint("webhooks", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="webhooks")], abp_security=BEARER)
SCOPE = "webhooks:manage"
Event = Literal[EVENTS]  # the one list: events.py


class WebhookSubscriptionIn(Strict):
    url: str = Field(min_length=8, max_length=500, description="http(s) URL receiving signed POSTs")
    events: list[Event] = Field(min_length=1, max_length=len(EVENTS))
    secret: str | None = Field(default=None, min_length=16, max_length=100,
                               description="HMAC key; generated (and shown once) when left out")


class WebhookSubscriptionOut(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    secret: str | None = Field(default=None, description="only in the answer that created it")


class WebhookSubscriptionList(BaseModel):
    items: list[WebhookSubscriptionOut]


class WebhookSubscriptionPath(BaseModel):
    subscription_id: str = Field(max_length=64)


class WebhookDeliveriesQuery(Strict):
    status: Literal["pending", "delivered", "failed"] | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class WebhookDeliveryOut(BaseModel):
    id: str
    subscription_id: str
    event: str
    status: str
    attempts: int
    next_attempt_at: str
    last_status_code: int | None
    last_error: str
    created_at: str
    delivered_at: str | None
    payload: dict


class WebhookDeliveryList(BaseModel):
    items: list[WebhookDeliveryOut]


def _json(subscription, secret=None) -> dict:
    return {"id": str(subscription.id), "url": subscription.url, "events": subscription.events,
            "active": subscription.active, "secret": secret}


@api.post("/webhooks/subscriptions", responses={201: WebhookSubscriptionOut, **problem_responses(400, 401, 403, 422)})
def subscribe(body: WebhookSubscriptionIn, header: RequiredIdempotencyKey):
    """Subscribe a URL to events; deliveries carry X-POS-Signature: t=…,v1=hex(HMAC-SHA256(secret, "t.body"))."""
    refused = refusal(body.url, current_app.config["POS_WEBHOOK_ALLOW_PRIVATE_TARGETS"])
    if refused:
        raise ApiProblem(422, "invalid-field", f"url: {refused}", field="url")

    def work(session, client):
        secret = body.secret or secrets.token_urlsafe(32)
        subscription = WebhookSubscription(client_id=client.id, url=body.url, events=sorted(set(body.events)),
                                           secret=secret, active=True)
        session.add(subscription)
        session.flush()
        return _json(subscription, secret), 201
    return client_run(SCOPE, work, idempotency_key=header.idempotency_key)


@api.get("/webhooks/subscriptions", responses={200: WebhookSubscriptionList, **problem_responses(401, 403)})
def list_subscriptions():
    def work(session, client):
        return {"items": [_json(s) for s in session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.client_id == client.id).order_by(WebhookSubscription.created_at))]}
    return client_run(SCOPE, work, read_only=True)


@api.delete("/webhooks/subscriptions/<subscription_id>",
            responses={200: WebhookSubscriptionOut, **problem_responses(401, 403, 404, 422)})
def unsubscribe(path: WebhookSubscriptionPath):
    """Stop sending; the subscription and its deliveries are kept for the record."""
    def work(session, client):
        try:
            subscription_id = uuid.UUID(path.subscription_id)
        except ValueError:
            subscription_id = None
        subscription = session.get(WebhookSubscription, subscription_id) if subscription_id else None
        if subscription is None or subscription.client_id != client.id:
            raise ApiProblem(404, "unknown-subscription", f"subscription_id: no subscription {path.subscription_id}",
                             field="subscription_id")
        subscription.active = False
        return _json(subscription)
    return client_run(SCOPE, work)


@api.get("/webhooks/deliveries", responses={200: WebhookDeliveryList, **problem_responses(401, 403, 422)})
def list_deliveries(query: WebhookDeliveriesQuery):
    """This client's deliveries, newest first; ?status=failed shows what gave up after every retry."""
    def work(session, client):
        statement = (select(WebhookDelivery).join(WebhookSubscription)
                     .where(WebhookSubscription.client_id == client.id)
                     .order_by(WebhookDelivery.created_at.desc()).limit(query.limit))
        if query.status:
            statement = statement.where(WebhookDelivery.status == query.status)
        return {"items": [delivery_json(d) for d in session.scalars(statement)]}
    return client_run(SCOPE, work, read_only=True)
