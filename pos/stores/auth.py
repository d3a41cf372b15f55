"""Who is calling an HQ endpoint: a store node (its sync token) or HQ staff (a cashier token)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from pos.problems import ApiProblem
from pos.stores.models import Location, StoreToken

TOKEN_PREFIX = "pos_store_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, location: Location) -> str:
    """The token is shown once; HQ keeps only its hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(StoreToken(token_hash=token_hash(token), location_id=location.id))
    return token


def store_for_token(session, token: str) -> Location | None:
    """The store a sync token belongs to; None when the token is not a store token at all.
    A revoked token is refused outright (403), so nothing it sends is applied."""
    row = session.execute(select(StoreToken, Location).join(Location, StoreToken.location_id == Location.id)
                          .where(StoreToken.token_hash == token_hash(token))).one_or_none()
    if row is None:
        return None
    credential, location = row
    if credential.revoked:
        raise ApiProblem(403, "store-token-revoked", "Authorization: this store token was revoked",
                         field="Authorization")
    return location


@dataclass
class Caller:
    store: Location | None = None  # a store node
    till: object | None = None  # HQ staff or a till (pos.till.Till)

    @property
    def is_manager(self) -> bool:
        return self.till is not None and self.till.cashier.role == "manager"


def caller(session, *, stores: bool = True, manager: bool = False) -> Caller:
    """Authenticate the bearer token as a store (when ``stores``) or a cashier (a manager when ``manager``)."""
    from pos.http import bearer_token, till_for

    token = bearer_token()
    if token.startswith(TOKEN_PREFIX):
        if not stores:
            raise ApiProblem(403, "staff-only", "Authorization: store tokens cannot use this endpoint",
                             field="Authorization")
        location = store_for_token(session, token)
        if location is None:
            raise ApiProblem(401, "unauthorized", "Authorization: unknown store token", field="Authorization")
        return Caller(store=location)
    found = Caller(till=till_for(session))
    if manager and not found.is_manager:
        raise ApiProblem(403, "not-a-manager", "Authorization: this needs a manager's login", field="Authorization")
    return found


def require_store(session) -> Location:
    from pos.http import bearer_token

    location = store_for_token(session, bearer_token())
    if location is None:
        raise ApiProblem(401, "unauthorized", "Authorization: not a valid store token", field="Authorization")
    return location
