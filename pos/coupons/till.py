"""A coupon at the till: scanned or typed onto a basket, shown per line, redeemed with the sale.

Where the code is checked:
- standalone and HQ nodes check it in their own database, and redeem it in the sale's transaction;
- a store asks HQ (``hq``: a callable that checks or redeems there, or raises HqUnavailable).  While HQ is
  out of reach it takes campaign codes it knows and single-use codes of batches allocated to it, records
  the redemption and sends it to HQ with its other changes; HQ checks per-customer limits then and names
  any excess as an incident.  Any other code is refused with a reason saying what to do."""
from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from pos.coupons import rules, services
from pos.coupons.models import BasketCoupon, CouponBatch, CouponCampaign, CouponCode, CouponRedemption
from pos.db import utcnow
from pos.feed.services import record_change
from pos.ids import new_id
from pos.problems import ApiProblem
from pos.sales.baskets import load_basket, priced


class HqUnavailable(Exception):
    """HQ could not be asked (the store is cut off)."""


def _lines(basket, vat_rates) -> list[dict]:
    priced_lines, _ = priced(basket, vat_rates)
    return [{"amount": p.gross - p.line_discount, "product_group": p.product_group} for p in priced_lines]


def apply_code(session, till, basket_id, raw_code: str, *, store_code: str | None = None, hq=None):
    """Put the coupon on the basket (replacing one scanned before).  ``hq`` is given on a store node."""
    basket = load_basket(session, till, basket_id)
    now = utcnow()
    offline = False
    if hq is not None:
        try:
            rule = hq(rules.normalise(raw_code or ""), basket.customer_id)
        except HqUnavailable:
            rule, offline = _offline_rule(session, raw_code, store_code, basket.customer_id, till.currency, now), True
    else:
        campaign, code, single = services.find(session, raw_code)
        rule = services.check(session, campaign, code, single, currency=till.currency,
                              customer_id=basket.customer_id, now=now)
    result = services.evaluate(rule, _lines(basket, till.vat_rates))
    session.execute(delete(BasketCoupon).where(BasketCoupon.basket_id == basket.id))
    session.add(BasketCoupon(basket_id=basket.id, code=rule["code"], rule=rule, offline=offline, applied_at=now))
    session.flush()
    basket.coupon = rule
    return basket, result


def remove_code(session, till, basket_id):
    basket = load_basket(session, till, basket_id)
    session.execute(delete(BasketCoupon).where(BasketCoupon.basket_id == basket.id))
    basket.coupon = None
    return basket


def _offline_rule(session, raw_code: str, store_code: str | None, customer_id, currency: str, now) -> dict:
    """What a store cut off from HQ may take: campaign codes, and single-use codes allocated to it."""
    try:
        campaign, code, single = services.find(session, raw_code)
    except ApiProblem as problem:
        if problem.extra.get("reason") == "unknown":
            raise services.refused("offline-unknown", "HQ cannot be reached and this store does not know the "
                                   "code; ask the customer for another code or sell without it", status=503) from None
        raise
    if single is not None:
        store = session.scalar(select(CouponBatch.store_code).where(CouponBatch.id == single.batch_id))
        if store != store_code:
            raise services.refused("offline-not-allocated", "HQ cannot be reached and this single-use code was not "
                                   "allocated to this store; sell without it or try again when HQ is back",
                                   status=503)
    # The per-customer limit is checked by HQ when the redemption arrives; here only what this store knows.
    return services.check(session, campaign, code, single, currency=currency, customer_id=customer_id, now=now,
                          customer_limit=False)


def redeem_at_checkout(session, till, basket, priced_lines, customer_id, sale_id, *, store_code: str,
                       hq_redeem=None) -> dict | None:
    """In the sale's transaction: the coupon's use, exactly once.  Nothing when it takes nothing off."""
    if basket.coupon is None:
        return None
    shares = [p.coupon_discount for p in priced_lines]
    if not any(shares):
        return None
    lines = [{"amount": p.gross - p.line_discount, "product_group": p.product_group} for p in priced_lines]
    key = f"sale:{sale_id}"
    offline = session.scalar(select(BasketCoupon.offline).where(BasketCoupon.basket_id == basket.id))
    if hq_redeem is not None and not offline:
        try:
            redemption = hq_redeem(basket.coupon["code"], customer_id, lines, key, str(sale_id))
        except HqUnavailable:
            # HQ went away between the scan and the payment: the offline rules decide now.
            _offline_rule(session, basket.coupon["code"], store_code, customer_id, till.currency, utcnow())
        else:
            # This store remembers it too, so the code is not taken again here while HQ is away.
            _record(session, basket, customer_id, sale_id, redemption["discount"], store_code, key, offline=False)
            return redemption
        return _record(session, basket, customer_id, sale_id, sum(shares), store_code, key, offline=True)
    if offline:
        return _record(session, basket, customer_id, sale_id, sum(shares), store_code, key, offline=True)
    redemption, _ = services.redeem(session, basket.coupon["code"], currency=till.currency, customer_id=customer_id,
                                    lines=lines, channel=f"store:{store_code}", reference=str(sale_id),
                                    idempotency_key=key)
    return redemption


def _record(session, basket, customer_id, sale_id, discount: int, store_code: str, key: str, *,
            offline: bool) -> dict | None:
    """A store's own record of a redemption.  One taken while HQ is away travels to HQ in the change feed."""
    code = basket.coupon["code"]
    if session.get(CouponCampaign, uuid.UUID(basket.coupon["campaign_id"])) is None:
        return None  # a campaign HQ has not sent yet: HQ's record is the only one
    single = session.get(CouponCode, code) is not None
    if single and session.scalar(select(CouponRedemption.id).where(CouponRedemption.single_code == code)):
        if not offline:
            return None
        raise services.refused("already-redeemed", "this single-use code was redeemed already", status=409)
    redemption = CouponRedemption(id=new_id(), campaign_id=uuid.UUID(basket.coupon["campaign_id"]), code=code,
                                  single_code=code if single else None, customer_id=customer_id,
                                  channel=f"store:{store_code}", reference=str(sale_id), idempotency_key=key,
                                  request_hash="", discount=discount, currency=basket.currency, offline=offline,
                                  redeemed_at=utcnow())
    session.add(redemption)
    session.flush()
    document = services.redemption_json(redemption)
    if offline:
        record_change(session, "coupon_redemption", redemption.id,
                      {**document, "code": code, "idempotency_key": key})
    return document
