"""Coupons at the till (scan or type a code onto a basket) and, at HQ, for stores checking codes live."""
from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from pos.coupons import remote, services
from pos.coupons.schemas import CouponCheckIn, CouponIn, CouponValidation, CouponRedemptionOut, StoreRedeemIn
from pos.coupons import rules
from pos.coupons.till import HqUnavailable, apply_code, remove_code
from pos.http import BEARER, run
from pos.problems import ApiProblem
from pos.sales.baskets import basket_json
from pos.sales.schemas import BasketOut, BasketPath
from pos.stores.auth import require_store

api = APIBlueprint("coupons", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="coupons")], abp_security=BEARER)


@api.put("/baskets/<basket_id>/coupon", responses={200: BasketOut})
def put_coupon(path: BasketPath, body: CouponIn):
    """Scan or type a coupon's code: the basket shows what it takes off each line.  A code that cannot be used
    is refused with ``reason`` (expired, already-redeemed, customer-required, offline-not-allocated, …)."""
    config = current_app.config
    hq = None
    if config["POS_ROLE"] == "store":
        # HQ is asked before the write begins: no till at this store waits on HQ behind our write lock.
        currency, customer_id = run(lambda s, t: _basket_of(s, t, path.basket_id), read_only=True).get_json()
        hq = _asked(remote.checker(config, currency), body.code, customer_id)

    def work(session, till):
        basket, _ = apply_code(session, till, path.basket_id, body.code, store_code=till.location.code, hq=hq)
        return basket_json(basket, till.vat_rates)
    return run(work, durable=False)


def _basket_of(session, till, basket_id) -> list:
    from pos.sales.baskets import load_basket
    basket = load_basket(session, till, basket_id)
    return [basket.currency, str(basket.customer_id) if basket.customer_id else None]


def _asked(checker, code: str, customer_id):
    """HQ's answer, asked now, handed to the write as what HQ said (its rules, its refusal or its absence)."""
    try:
        answer = checker(rules.normalise(code), customer_id)
    except (HqUnavailable, ApiProblem) as exc:
        failure = exc

        def again(*_):
            raise failure
        return again
    return lambda *_: answer


@api.delete("/baskets/<basket_id>/coupon", responses={200: BasketOut})
def delete_coupon(path: BasketPath):
    return run(lambda s, t: basket_json(remove_code(s, t, path.basket_id), t.vat_rates), durable=False)


# --- HQ, for a store's tills (store token) ---------------------------------------------------------------

@api.post("/sync/coupons/check", responses={200: CouponValidation})
def store_check(body: CouponCheckIn):
    """A store asks whether a code may be used now: the campaign's rules, or a refusal with its reason."""
    def work(session, _):
        require_store(session)
        campaign, code, single = services.find(session, body.code)
        return services.check(session, campaign, code, single, currency=body.currency,
                              customer_id=body.customer_id, now=services.utcnow())
    return run(work, auth=False, read_only=True)


@api.post("/sync/coupons/redeem", responses={200: CouponRedemptionOut, 201: CouponRedemptionOut})
def store_redeem(body: StoreRedeemIn):
    """A store's sale uses a code: redeemed once, whichever store or web shop asks first."""
    def work(session, _):
        location = require_store(session)
        redemption, created = services.redeem(
            session, body.code, currency=body.currency, customer_id=body.customer_id,
            lines=services.lines_of(session, body.lines), channel=f"store:{location.code}",
            reference=body.reference, idempotency_key=f"store:{location.code}:{body.idempotency_key}")
        return redemption, 201 if created else 200
    return run(work, auth=False)


def not_here(what: str) -> ApiProblem:
    return ApiProblem(404, "not-here", f"{what}: not on this node")
