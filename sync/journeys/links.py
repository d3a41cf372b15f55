"""Signed links in messages: unsubscribe and the survey.  Signed with the node's secret, so a link cannot
be made for someone else; they carry no personal data, only ids."""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer


def _signer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"journeys-{purpose}")


def sign(secret: str, purpose: str, data: dict) -> str:
    return _signer(secret, purpose).dumps(data)


def read(secret: str, purpose: str, token: str) -> dict | None:
    try:
        data = _signer(secret, purpose).loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None
