"""Send due deliveries: signed POSTs, outside any transaction, retried with exponential backoff."""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import requests
from sqlalchemy import select

from pos.db import utcnow
from sync.webhooks.models import WebhookDelivery, WebhookSubscription
from sync.webhooks.signing import HEADER, sign
from sync.webhooks.targets import refusal

log = logging.getLogger("sync.webhooks")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_seconds: int = 30
    timeout_seconds: int = 10
    allow_private_targets: bool = False

    @classmethod
    def from_config(cls, config) -> "RetryPolicy":
        return cls(config["POS_WEBHOOK_MAX_ATTEMPTS"], config["POS_WEBHOOK_BACKOFF_SECONDS"],
                   config["POS_WEBHOOK_TIMEOUT_SECONDS"], config["POS_WEBHOOK_ALLOW_PRIVATE_TARGETS"])

    def delay(self, attempts: int) -> dt.timedelta:
        """After the n-th failure wait backoff × 2^(n−1), at most a day."""
        return dt.timedelta(seconds=min(self.backoff_seconds * 2 ** (attempts - 1), 86_400))


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def deliver_due(db, policy: RetryPolicy, now: dt.datetime | None = None, limit: int = 100,
                http: requests.Session | None = None) -> dict:
    """One pass over due deliveries; each outcome is committed on its own."""
    now = now or utcnow()
    with db.unit_of_work(read_only=True) as uow:
        due = uow.session.execute(
            select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at).limit(limit)).all()
    http = http or requests.Session()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for delivery, url, secret in due:
        body = body_of(delivery)
        code, error = None, ""
        refused = refusal(url, policy.allow_private_targets)
        try:
            if refused:
                error = f"target refused: {refused}"
            else:
                response = http.post(url, data=body, timeout=policy.timeout_seconds, allow_redirects=False,
                                     stream=True, headers={
                                         "Content-Type": "application/json", HEADER: sign(secret, body),
                                         "X-POS-Event": delivery.event, "X-POS-Delivery": str(delivery.id)})
                response.close()  # what the target answers is never read, kept or shown back through the API
                code = response.status_code
                if not 200 <= code < 300:
                    error = f"HTTP {code}"
        except requests.RequestException as exc:
            # the class only: the message would tell a subscriber about hosts and ports behind HQ
            error = exc.__class__.__name__
        with db.unit_of_work() as uow:
            row = uow.session.get(WebhookDelivery, delivery.id)
            row.attempts += 1
            row.last_status_code = code
            row.last_error = error
            if not error:
                row.status, row.delivered_at = "delivered", utcnow()
                counts["delivered"] += 1
            elif row.attempts >= policy.max_attempts:
                row.status = "failed"
                counts["failed"] += 1
                log.warning("webhook %s to %s failed for good: %s", row.id, url, error)
            else:
                row.next_attempt_at = utcnow() + policy.delay(row.attempts)
                counts["retrying"] += 1
            uow.commit()
    return counts


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {"id": str(delivery.id), "subscription_id": str(delivery.subscription_id), "event": delivery.event,
            "status": delivery.status, "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at.isoformat(), "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error, "created_at": delivery.created_at.isoformat(),
            "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
            "payload": delivery.payload}
