"""API clients: a random key shown once, stored as its SHA-256, with scopes."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from pos.problems import ApiProblem
from sync.webshop.models import ApiClient

SCOPES = ("availability:read", "reservations:write", "orders:write", "webhooks:manage", "carts:write",
          "loyalty:read", "loyalty:write", "giftcards:read", "giftcards:write", "coupons:write")
KEY_PREFIX = "pos_"


def key_hash(key: str) -> str:
    # Keys are 256 random bits: a plain hash is enough, nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def add_client(session, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if session.scalars(select(ApiClient).where(ApiClient.name == name)).first() is not None:
        raise ValueError(f"a client named {name!r} exists")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(name=name, key_hash=key_hash(key), key_prefix=key[:10], scopes=sorted(set(scopes)))
    session.add(client)
    session.flush()
    return client, key


def _named(session, name: str) -> ApiClient:
    client = session.scalars(select(ApiClient).where(ApiClient.name == name)).one_or_none()
    if client is None:
        raise ValueError(f"no client named {name!r}; `flask clients list` shows them")
    return client


def rotate_key(session, name: str) -> tuple[ApiClient, str]:
    """A new key for client NAME; the old one stops working when this commits (keys are looked up per request)."""
    client = _named(session, name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client.key_hash, client.key_prefix, client.active = key_hash(key), key[:10], True
    session.flush()
    return client, key


def revoke_client(session, name: str) -> ApiClient:
    """Client NAME's key is refused (401) from the next request on; its subscriptions stop being served."""
    client = _named(session, name)
    client.active = False
    return client


def authenticate(session, header: str | None, scope: str) -> ApiClient:
    scheme, _, key = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiProblem(401, "unauthorized", "Authorization: send 'Bearer <API key>'", field="Authorization")
    client = session.scalars(select(ApiClient).where(ApiClient.key_hash == key_hash(key.strip()),
                                                     ApiClient.active)).one_or_none()
    if client is None:
        raise ApiProblem(401, "unauthorized", "Authorization: unknown or revoked API key", field="Authorization")
    if scope not in client.scopes:
        raise ApiProblem(403, "missing-scope", f"Authorization: this key lacks the scope {scope}",
                         field="Authorization", scope=scope)
    return client
