"""A store asks HQ about a gift card while the link is up (as pos.customers.remote does for customers).

HqUnavailable means "spend from this store's offline allowance instead"; HQ's refusals (unknown card, not
enough on it, expired) come back as they are."""
from __future__ import annotations

import logging

import requests
from flask import current_app

from pos.customers.remote import HqUnavailable, online  # noqa: F401  (one notion of "HQ is there")

log = logging.getLogger("pos.giftcards.remote")


def call(method: str, path: str, idempotency_key: str | None = None, **kwargs) -> tuple[int, dict]:
    config = current_app.config
    headers = {"Authorization": f"Bearer {config['POS_STORE_TOKEN']}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        response = requests.request(method, config["POS_HQ_URL"] + path, headers=headers,
                                    timeout=config["POS_HQ_LOOKUP_TIMEOUT_SECONDS"] or 2, **kwargs)
    except requests.RequestException as exc:
        raise HqUnavailable(str(exc)) from None
    if response.status_code >= 500 or response.status_code in (401, 403):
        log.warning("HQ answered %s to %s %s", response.status_code, method, path)
        raise HqUnavailable(f"HQ answered {response.status_code}")
    try:
        return response.status_code, response.json()
    except ValueError:
        raise HqUnavailable("HQ's answer is not JSON") from None
