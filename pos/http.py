"""Glue between Flask views and the services: auth, one unit of work per request, problems."""
from __future__ import annotations

from typing import Callable

from flask import Response, current_app, json, request

from pos.problems import ApiProblem
from pos.staff.services import PinRejected, authenticate, register_pin_failure
from pos.till import Till

BEARER = [{"bearer": []}]


def database():
    return current_app.extensions["pos.db"]


def settings():
    return current_app.extensions["pos.settings"]


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(401, "unauthorized", "Authorization: log in and send 'Bearer <token>'",
                         field="Authorization")
    return token.strip()


def till_for(session) -> Till:
    found = authenticate(session, bearer_token())
    if found is None:
        raise ApiProblem(401, "unauthorized", "Authorization: the token is unknown, expired or revoked",
                         field="Authorization")
    cashier, terminal, location = found
    return Till(cashier, terminal, location, settings())


def run(work: Callable, *, status: int = 200, read_only: bool = False, auth: bool = True,
        durable: bool = True) -> Response:
    """Do ``work(session, till)`` in one transaction and answer with its JSON.

    Anything raised rolls the whole request back.  A wrong PIN is then counted in
    a transaction of its own, so a lockout cannot be dodged by a failing request."""
    db = database()
    try:
        with db.unit_of_work(read_only=read_only, durable=durable) as uow:
            till = till_for(uow.session) if auth else None
            result = work(uow.session, till)
            if not read_only:
                uow.commit()
    except PinRejected as rejected:
        with db.unit_of_work() as uow:
            register_pin_failure(uow.session, rejected.login, settings().pin_policy)
            uow.commit()
        raise rejected.problem from None
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        result, status = result
    return Response(json.dumps(result), status=status, mimetype="application/json")
