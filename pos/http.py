"""Glue between Flask views and the services: auth, one unit of work per request, problems."""
from __future__ import annotations

import re
import sqlite3
from typing import Callable

import psycopg
from flask import Response, current_app, g, json, request
from sqlalchemy import inspect
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from pos.limits import LimitedRequest, check_parameters
from pos.problems import ApiProblem, problem_response
from pos.staff.services import PinRejected, authenticate, register_pin_failure
from pos.till import Till

# Fast paths write on the driver's cursor, so its own exceptions arrive unwrapped by SQLAlchemy.
UNIQUE_VIOLATIONS = (IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)
VALUE_REFUSALS = (DataError, sqlite3.DataError, psycopg.DataError)

BEARER = [{"bearer": []}]
# ?token= where a client cannot send headers: a courier's calendar app.
BEARER_OR_QUERY_TOKEN = [{"bearer": []}, {"query_token": []}]
# The till's page: its EventSource cannot send headers either, and a URL with the token would be logged by
# every proxy on the way; login leaves the token in an HttpOnly cookie that only the till's streams read.
TILL_COOKIE = "pos_till"
BEARER_OR_TILL_COOKIE = [{"bearer": []}, {"till_cookie": []}]
SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer"},
                    "query_token": {"type": "apiKey", "in": "query", "name": "token"},
                    "till_cookie": {"type": "apiKey", "in": "cookie", "name": TILL_COOKIE}}


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
    """Who is calling.  Asked once per request: the hooks around a scan or a checkout (the customer display,
    the fiscal printer's limits) ask again, and a till found in this request is still the caller's."""
    token = bearer_token()
    known = g.get("pos_till")
    if known is not None and known[0] == token and not any(
            inspect(part).expired_attributes for part in (known[1].cashier, known[1].terminal, known[1].location)):
        return known[1]
    found = authenticate(session, token)
    if found is None:
        raise ApiProblem(401, "unauthorized", "Authorization: the token is unknown, expired or revoked",
                         field="Authorization")
    cashier, terminal, location = found
    till = Till(cashier, terminal, location, settings())
    g.pos_till = (token, till)
    return till


def run(work: Callable, *, status: int = 200, read_only: bool = False, auth: bool = True,
        durable: bool = True) -> Response:
    """Do ``work(session, till)`` in one transaction and answer with its JSON.

    Anything raised rolls the whole request back, except a wrong PIN's attempt: it is counted outside
    the request (PostgreSQL) or kept in the same transaction, rolled back to a savepoint (SQLite, where
    this transaction holds the only write lock throughout), so parallel guesses never see a stale count."""
    db = database()
    with db.unit_of_work(read_only=read_only, durable=durable) as uow:
        savepoint = uow.session.begin_nested() if db.is_sqlite and not read_only else None
        try:
            till = till_for(uow.session) if auth else None
            result = work(uow.session, till)
        except PinRejected as rejected:
            if savepoint is not None:
                savepoint.rollback()
            else:
                uow.rollback()
            register_pin_failure(uow.session, rejected, settings().pin_policy)
            uow.commit()
            raise rejected.problem from None
        if savepoint is not None:
            savepoint.commit()
        if not read_only:
            uow.commit()
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        result, status = result
    return Response(json.dumps(result), status=status, mimetype="application/json")


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _secured_operations(app) -> dict[tuple[str, str], list]:
    """(rule, method) → the credentials its document accepts (any one alternative will do)."""
    cached = app.extensions.get("pos.secured")
    if cached is None:
        paths = app.api_doc.get("paths", {})
        cached = {}
        for rule in app.url_map.iter_rules():
            operations = paths.get(_openapi_path(rule.rule), {})
            for method in rule.methods or ():
                security = operations.get(method.lower(), {}).get("security")
                if security:
                    cached[(rule.rule, method)] = [[SECURITY_SCHEMES[name] for name in alternative]
                                                   for alternative in security]
        app.extensions["pos.secured"] = cached
    return cached


def _presented(scheme: dict) -> bool:
    if scheme["type"] == "apiKey":
        given = request.cookies if scheme["in"] == "cookie" else request.args
        return bool(given.get(scheme["name"], "").strip())
    kind, _, credential = request.headers.get("Authorization", "").partition(" ")
    return kind.lower() == "bearer" and bool(credential.strip())


def guard_request():
    """Before any view: limits on parameters and body, and who is asking before what they sent is judged
    (an anonymous caller learns nothing about the fields from a 422)."""
    if not request.path.startswith("/api/"):
        return None
    check_parameters(request.args, request.view_args, request.headers)
    accepted = _secured_operations(current_app).get((request.url_rule.rule, request.method)) if request.url_rule else None
    if accepted and not any(all(_presented(scheme) for scheme in alternative) for alternative in accepted):
        raise ApiProblem(401, "unauthorized", "Authorization: send 'Bearer <token>'", field="Authorization")
    if request.method in ("POST", "PUT", "PATCH") and (request.content_length or request.headers.get(
            "Transfer-Encoding")) and not request.is_json:
        raise ApiProblem(415, "unsupported-media-type",
                         f"Content-Type: send the body as application/json, not {request.mimetype or 'nothing'}",
                         field="Content-Type", title="Unsupported media type")
    return None


def http_problem(error: HTTPException):
    """Werkzeug's own refusals (404, 405, 413 …) as problems under /api/, with the headers they need."""
    if not request.path.startswith("/api/"):
        return error
    field = {413: "body", 405: "method"}.get(error.code)
    detail = error.description or error.name
    if error.code == 413:
        detail = f"body: larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes; send less at a time"
    response = problem_response(ApiProblem(error.code or 500, error.name.lower().replace(" ", "-"),
                                           detail, title=error.name, field=field))
    allow = [value for name, value in error.get_headers() if name.lower() == "allow"]
    if allow:
        response.headers["Allow"] = allow[0]
    return response


def database_refusal(error: Exception):
    """The last line: a value the validation let through but the database would not hold (too long, out of
    range) is the caller's 422, and a unique key taken by a concurrent request is a 409 to retry, not a 5xx.
    The unit of work has rolled back, so nothing of the request was written."""
    if isinstance(error, UNIQUE_VIOLATIONS):
        return problem_response(ApiProblem(409, "concurrent-change",
                                           "A concurrent request wrote the same thing first; read it back or retry.",
                                           title="Conflict"))
    if isinstance(error, VALUE_REFUSALS):
        return problem_response(ApiProblem(422, "invalid-field", "body: a value does not fit what the shop stores "
                                           "(too long or out of range)", field="body", title="Invalid request"))
    raise error


def install(app) -> None:
    """Request limits and the refusals every operation shares (called once by the app factory)."""
    app.request_class = LimitedRequest
    app.before_request(guard_request)
    app.register_error_handler(ApiProblem, problem_response)
    app.register_error_handler(HTTPException, http_problem)
    for refusal in (*UNIQUE_VIOLATIONS, *VALUE_REFUSALS):
        app.register_error_handler(refusal, database_refusal)
