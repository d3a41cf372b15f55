"""The web shop's coupons: check a code against its basket, and redeem it with the order (Idempotency-Key).

A single-use code is redeemed once chain-wide: the web shop and the stores' tills race through the same
redemption (pos.coupons.services.redeem), and whoever commits second is told coupon-already-redeemed."""
from __future__ import annotations

from flask import Response, current_app, json, request
from flask_openapi3 import APIBlueprint, Tag

from pos.coupons import services
from pos.coupons.schemas import CouponCheckIn, CouponRedeemIn, CouponRedemptionOut, CouponValidation
from pos.http import BEARER
from pos.stock.problem_docs import problem_responses
from sync.webshop.http import client_run
from sync.webshop.keys import authenticate
from sync.webshop.schemas import RequiredIdempotencyKey

api = APIBlueprint("webshop_coupons", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="web shop")],
                   abp_security=BEARER)
SCOPE = "coupons:write"


@api.post("/coupons/validate", responses={200: CouponValidation, **problem_responses(400, 401, 403, 404, 409, 422)})
def validate(body: CouponCheckIn):
    """What the code takes off this basket, line by line; nothing is redeemed (no Idempotency-Key needed).
    A code that cannot be used answers a problem with ``reason`` (expired, already-redeemed, limit-reached …)."""
    db = current_app.extensions["pos.db"]
    with db.unit_of_work(read_only=True) as uow:
        authenticate(uow.session, request.headers.get("Authorization"), SCOPE)
        result = services.validate(uow.session, body.code, currency=body.currency, customer_id=body.customer_id,
                                   lines=services.lines_of(uow.session, body.lines))
    return Response(json.dumps(result), status=200, mimetype="application/json")


@api.post("/coupons/redeem", responses={201: CouponRedemptionOut, **problem_responses(400, 401, 403, 404, 409, 422)})
def redeem(body: CouponRedeemIn, header: RequiredIdempotencyKey):
    """Use the code on an order: once per Idempotency-Key (a retry answers the first redemption)."""
    def work(session, client):
        redemption, _ = services.redeem(
            session, body.code, currency=body.currency, customer_id=body.customer_id,
            lines=services.lines_of(session, body.lines), channel="web", reference=body.reference,
            idempotency_key=f"web:{client.id}:{header.idempotency_key}")
        return redemption, 201
    return client_run(SCOPE, work, idempotency_key=header.idempotency_key)
