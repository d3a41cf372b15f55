"""A store's tills ask HQ about coupons while the link is up; a failure to reach HQ is HqUnavailable, and
HQ's refusal (a 4xx problem) is the till's refusal, reason and all."""
from __future__ import annotations

import logging

import requests

from pos.coupons.till import HqUnavailable
from pos.problems import ApiProblem

log = logging.getLogger("pos.coupons.remote")


def _hq(config):
    if config["POS_ROLE"] != "store":
        return None
    if not config["POS_HQ_URL"] or not config["POS_STORE_TOKEN"]:
        return config["POS_HQ_URL"], None, 0  # a store not (yet) linked to HQ: always offline
    return config["POS_HQ_URL"], {"Authorization": f"Bearer {config['POS_STORE_TOKEN']}"}, \
        config["POS_HQ_LOOKUP_TIMEOUT_SECONDS"]


def _post(target, path: str, body: dict) -> dict:
    url, headers, timeout = target
    if headers is None:
        raise HqUnavailable("HQ is not configured")
    try:
        response = requests.post(url + path, json=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise HqUnavailable(str(exc)) from None
    if response.status_code >= 500 or response.status_code in (401, 403):
        log.warning("HQ answered %s to POST %s", response.status_code, path)
        raise HqUnavailable(f"HQ answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise HqUnavailable("HQ's answer was not JSON") from None
    if response.status_code >= 400:
        extra = {k: v for k, v in answer.items() if k not in ("type", "title", "status", "detail", "invalid_params")}
        params = answer.get("invalid_params") or [{}]
        raise ApiProblem(response.status_code, answer.get("type", "").rsplit("/", 1)[-1] or "coupon-refused",
                         answer.get("detail", ""), field=params[0].get("name"), **extra)
    return answer


def checker(config, currency: str):
    """(code, customer_id) → the campaign's rules from HQ; None on a node that is its own authority."""
    target = _hq(config)
    if target is None:
        return None
    return lambda code, customer_id: _post(target, "/api/v1/sync/coupons/check", {
        "code": code, "currency": currency, "customer_id": str(customer_id) if customer_id else None})


def redeemer(config, currency: str):
    """(code, customer_id, lines, key, reference) → HQ's redemption; None on a node that is its own authority."""
    target = _hq(config)
    if target is None:
        return None
    return lambda code, customer_id, lines, key, reference: _post(target, "/api/v1/sync/coupons/redeem", {
        "code": code, "currency": currency, "customer_id": str(customer_id) if customer_id else None,
        "lines": [{"product_group": line["product_group"], "amount": line["amount"]} for line in lines],
        "reference": reference, "idempotency_key": key})
