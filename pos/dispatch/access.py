"""Who may do what in dispatch.

* Managers use the bearer token of a cashier login with role ``manager`` (as everywhere in the API).
* A courier holds a secret link token, minted when the courier is created (or rotated). Only its
  SHA-256 is stored. It opens that courier's schedule, calendar feed and status buttons — nothing
  else — sent as ``Authorization: Bearer <token>`` or ``?token=`` (calendar apps cannot send headers).
  A wrong token answers 404, so a guessed link does not even confirm that the courier exists.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import request
from sqlalchemy import select

from pos.dispatch.models import Courier
from pos.problems import ApiProblem
from pos.staff.services import authenticate


def new_link_token() -> tuple[str, str]:
    """A fresh secret for a courier's link and the hash to store."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def header_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def presented_token() -> str | None:
    """The header's bearer token, else ``?token=`` (the courier's link)."""
    return header_token() or request.args.get("token") or None


def manager(session, token: str | None = None):
    """The manager (Cashier row) behind the bearer token, or a 401/403 problem."""
    # A manager's token travels in the header only: URLs end up in logs and browser history.
    token = token if token is not None else header_token()
    if not token:
        raise ApiProblem(401, "unauthorized", "Authorization: log in as a manager and send 'Bearer <token>'",
                         field="Authorization")
    found = authenticate(session, token)
    if found is None:
        raise ApiProblem(401, "unauthorized", "Authorization: the token is unknown, expired or revoked",
                         field="Authorization")
    cashier = found[0]
    if cashier.role != "manager":
        raise ApiProblem(403, "forbidden", "Authorization: dispatch needs a manager's login", field="Authorization")
    return cashier


def courier_for_token(session, token: str | None) -> Courier | None:
    if not token:
        return None
    return session.execute(select(Courier).where(Courier.token_hash == token_hash(token),
                                                 Courier.active.is_(True))).scalar_one_or_none()


def schedule_reader(session, courier_id) -> tuple[Courier, str]:
    """The courier whose schedule is asked for, when the caller is that courier or a manager.

    Returns (courier, actor); answers 404 for a wrong link token, 401 when none was sent."""
    token = presented_token()
    if not token:
        raise ApiProblem(401, "unauthorized", "token: open the link from the dispatcher (…?token=…)", field="token")
    courier = session.get(Courier, courier_id)
    if courier is not None and courier.active and hmac.compare_digest(courier.token_hash, token_hash(token)):
        return courier, f"courier:{courier.id}"
    found = authenticate(session, token) if token == header_token() else None
    if courier is not None and found is not None and found[0].role == "manager":
        return courier, f"manager:{found[0].login}"
    raise ApiProblem(404, "not-found", "courier: no schedule behind this link", field="token")


def status_reporter(session) -> tuple[Courier | None, str]:
    """A courier (by link token) or a manager; (None, actor) for a manager."""
    token = presented_token()
    courier = courier_for_token(session, token)
    if courier is not None:
        return courier, f"courier:{courier.id}"
    return None, f"manager:{manager(session).login}"
