"""A store asks HQ about customers while the link is up; any failure means "use the local copy"."""
from __future__ import annotations

import logging

import requests
from flask import current_app

log = logging.getLogger("pos.customers.remote")


class HqUnavailable(Exception):
    pass


def _hq():
    config = current_app.config
    if config["POS_ROLE"] != "store" or not config["POS_HQ_URL"] or not config["POS_STORE_TOKEN"]:
        return None
    return config["POS_HQ_URL"], {"Authorization": f"Bearer {config['POS_STORE_TOKEN']}"}, \
        config["POS_HQ_LOOKUP_TIMEOUT_SECONDS"]


def online() -> bool:
    return _hq() is not None


def _call(method: str, path: str, **kwargs) -> dict:
    url, headers, timeout = _hq()
    try:
        response = requests.request(method, url + path, headers=headers, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise HqUnavailable(str(exc)) from None
    if response.status_code >= 500 or response.status_code in (401, 403):
        # 401/403: this store's token is wrong or revoked; the till keeps working on its own copy.
        log.warning("HQ answered %s to %s %s", response.status_code, method, path)
        raise HqUnavailable(f"HQ answered {response.status_code}")
    return response.status_code, response.json()


def lookup(params: dict) -> list[dict]:
    _, body = _call("GET", "/api/v1/customers", params={k: v for k, v in params.items() if v})
    return body.get("customers", [])


def create(values: dict) -> tuple[int, dict]:
    return _call("POST", "/api/v1/customers", json=values)
