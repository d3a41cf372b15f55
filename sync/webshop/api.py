"""The web-shop sync API: availability, its change feed, reservations and orders (API key with scopes)."""
from __future__ import annotations

import uuid

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from pos.http import BEARER
from pos.problems import ApiProblem
from pos.stock.problem_docs import problem_responses
from sync.stock import availability, reservations
from sync.webshop import orders
from sync.webshop.http import client_run
from sync.webshop.schemas import (AvailabilityOut, AvailabilityQuery, AvailabilityChangesOut, AvailabilityChangesQuery, ReservationCommitIn,
                                  RequiredIdempotencyKey, WebOrderIn, WebOrderOut, ReservationIn, ReservationOut, ReservationPath)

api = APIBlueprint("webshop", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="web shop")],
                   abp_security=BEARER)  # the API key is sent as a bearer token
READ_PROBLEMS = problem_responses(400, 401, 403, 404, 422)
WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 422)


def freshness():
    return availability.Freshness.from_config(current_app.config)


def _reservation_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiProblem(404, "unknown-reservation", f"reservation_id: no reservation {raw}",
                         field="reservation_id") from None


@api.get("/availability", responses={200: AvailabilityOut, **READ_PROBLEMS})
def get_availability(query: AvailabilityQuery):
    """Available to sell now, per SKU, for one channel."""
    def work(session, client):
        try:
            items, unknown = availability.availability_for_skus(session, freshness(), query.channel, query.sku)
        except LookupError:
            raise ApiProblem(404, "unknown-channel", f"channel: no sales channel {query.channel!r}",
                             field="channel") from None
        return {"channel": query.channel, "items": items, "unknown_skus": unknown}
    return client_run("availability:read", work, read_only=True)


@api.get("/availability/changes", responses={200: AvailabilityChangesOut, **READ_PROBLEMS})
def get_availability_changes(query: AvailabilityChangesQuery):
    """Every change of a channel's ATS after the cursor, oldest first: mirror stock without polling each SKU."""
    def work(session, client):
        since = int(query.since)
        rows = availability.changes_since(session, query.channel, since, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        return {"channel": query.channel, "has_more": more,
                "next_cursor": str(rows[-1].seq if rows else since),
                "items": [{"sku": r.sku, "available": r.available, "previous": r.previous, "at": r.at.isoformat()}
                          for r in rows]}
    return client_run("availability:read", work, read_only=True)


def _reservation_answer(reservation, status):
    return reservations.reservation_json(reservation), status


@api.post("/reservations", responses={201: ReservationOut, **WRITE_PROBLEMS})
def create_reservation(body: ReservationIn, header: RequiredIdempotencyKey):
    """Hold every line for ttl_seconds, or nothing: 409 names the short SKUs and what is available."""
    def work(session, client):
        reservation = reservations.hold(session, freshness(), body.channel, body.reference, body.ttl_seconds,
                                        [line.model_dump() for line in body.lines])
        session.flush()
        session.refresh(reservation)
        return _reservation_answer(reservation, 201)
    return client_run("reservations:write", work, idempotency_key=header.idempotency_key)


@api.get("/reservations/<reservation_id>", responses={200: ReservationOut, **READ_PROBLEMS})
def read_reservation(path: ReservationPath):
    def work(session, client):
        return reservations.reservation_json(reservations.get_reservation(session, _reservation_id(path.reservation_id)))
    return client_run("reservations:write", work, read_only=True)


@api.post("/reservations/<reservation_id>/commit", responses={200: ReservationOut, **WRITE_PROBLEMS})
def commit_reservation(path: ReservationPath, body: ReservationCommitIn, header: RequiredIdempotencyKey):
    """The checkout became an order: the pieces stay promised (committed) until shipped."""
    def work(session, client):
        return _reservation_answer(reservations.commit(session, _reservation_id(path.reservation_id), body.order_id),
                                   200)
    return client_run("reservations:write", work, idempotency_key=header.idempotency_key)


@api.post("/reservations/<reservation_id>/release", responses={200: ReservationOut, **WRITE_PROBLEMS})
def release_reservation(path: ReservationPath, header: RequiredIdempotencyKey):
    """Give the pieces back (abandoned checkout, cancelled order)."""
    def work(session, client):
        return _reservation_answer(reservations.release(session, _reservation_id(path.reservation_id)), 200)
    return client_run("reservations:write", work, idempotency_key=header.idempotency_key)


@api.post("/reservations/<reservation_id>/fulfil", responses={200: ReservationOut, **WRITE_PROBLEMS})
def fulfil_reservation(path: ReservationPath, header: RequiredIdempotencyKey):
    """Shipped or collected: the committed pieces leave stock through the ledger."""
    def work(session, client):
        return _reservation_answer(reservations.fulfil(session, _reservation_id(path.reservation_id)), 200)
    return client_run("orders:write", work, idempotency_key=header.idempotency_key)


@api.post("/orders", responses={201: WebOrderOut, **WRITE_PROBLEMS})
def create_order(body: WebOrderIn, header: RequiredIdempotencyKey):
    """Record a web order on the customer's timeline (found by e-mail or phone, else created)."""
    def work(session, client):
        return orders.record_order(session, body, current_app.config["POS_COUNTRY"]), 201
    return client_run("orders:write", work, idempotency_key=header.idempotency_key)
