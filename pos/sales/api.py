from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from pos.coupons.remote import redeemer as coupon_redeemer
from pos.devices import weighing
from pos.devices.api import current_till, hub
from pos.devices.wiring import hand_over_sale
from pos.http import BEARER, run
from pos.loyalty import tender as loyalty_tender
from pos.problems import ApiProblem
from pos.sales import baskets, services
from pos.stores.api import not_selling_yet
from pos.stores.epochs import SellingNotAllowedYet, check_may_sell
from pos.sales.schemas import (AddLine, BasketList, BasketOut, BasketPath, ChangeQuantity, CheckoutIn, Discount,
                               LinePath, NewBasket, SaleOut, SalePath)
from pos.schemas import IdempotencyHeader

api = APIBlueprint("sales", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="selling")], abp_security=BEARER)


def _basket(work, status=200):
    def wrapped(session, till):
        return baskets.basket_json(work(session, till), till.vat_rates), status
    return run(wrapped, durable=False)


@api.post("/baskets", responses={201: BasketOut})
def create_basket(body: NewBasket):
    return _basket(lambda s, t: baskets.new_basket(s, t, body.customer_id), 201)


@api.get("/baskets/parked", responses={200: BasketList})
def list_parked():
    return run(lambda s, t: {"items": [baskets.basket_json(b, t.vat_rates) for b in baskets.parked_baskets(s, t)]},
               read_only=True)


@api.get("/baskets/<basket_id>", responses={200: BasketOut})
def get_basket(path: BasketPath):
    return run(lambda s, t: baskets.basket_json(baskets.load_basket(s, t, path.basket_id, statuses=()), t.vat_rates),
               read_only=True)


@api.post("/baskets/<basket_id>/lines", responses={201: BasketOut})
def add_line(path: BasketPath, body: AddLine):
    """Scan a code, or add a SKU with a quantity (pieces, or grams for weighed goods).

    Goods sold by weight take their weight from the till's scale: asked for with ``weigh``, or read by
    itself when a PLU or SKU of such goods comes without a weight.  A weight typed by hand at a till with a
    scale needs a manager's ``approval``."""
    def add(grams: int | None):
        def work(session, till):
            scale_at_till = weighing.has_scale(hub().station(till.terminal))
            return baskets.add_line(session, till, path.basket_id, code=body.code, sku=body.sku,
                                    quantity=grams if grams is not None else body.quantity,
                                    weighed=grams is not None, scale_at_till=scale_at_till, approval=body.approval)
        return _basket(work, 201)

    if body.weigh:
        return add(weighing.weigh(hub().station(current_till().terminal), body.tare_grams))
    try:
        return add(None)
    except ApiProblem as problem:
        if problem.slug != "weight-required":
            raise
        station = hub().station(current_till().terminal)
        if not weighing.has_scale(station):
            raise
    # the scale is read outside the transaction: the till never holds the database while goods settle
    return add(weighing.weigh(station, body.tare_grams))


@api.patch("/baskets/<basket_id>/lines/<line_id>", responses={200: BasketOut})
def change_quantity(path: LinePath, body: ChangeQuantity):
    return _basket(lambda s, t: baskets.set_quantity(s, t, path.basket_id, path.line_id, body.quantity,
                                                     scale_at_till=weighing.has_scale(hub().station(t.terminal)),
                                                     approval=body.approval))


@api.delete("/baskets/<basket_id>/lines/<line_id>", responses={200: BasketOut})
def remove_line(path: LinePath):
    return _basket(lambda s, t: baskets.remove_line(s, t, path.basket_id, path.line_id))


@api.put("/baskets/<basket_id>/lines/<line_id>/discount", responses={200: BasketOut})
def line_discount(path: LinePath, body: Discount):
    """A discount above the configured percentage needs a manager's approval."""
    return _basket(lambda s, t: baskets.set_line_discount(s, t, path.basket_id, path.line_id, body.percent,
                                                          body.amount, body.approval))


@api.put("/baskets/<basket_id>/discount", responses={200: BasketOut})
def basket_discount(path: BasketPath, body: Discount):
    return _basket(lambda s, t: baskets.set_basket_discount(s, t, path.basket_id, body.percent, body.amount,
                                                            body.approval))


@api.post("/baskets/<basket_id>/park", responses={200: BasketOut})
def park(path: BasketPath):
    return _basket(lambda s, t: baskets.park(s, t, path.basket_id))


@api.post("/baskets/<basket_id>/resume", responses={200: BasketOut})
def resume(path: BasketPath):
    return _basket(lambda s, t: baskets.resume(s, t, path.basket_id))


@api.post("/baskets/<basket_id>/cancel", responses={200: BasketOut})
def cancel(path: BasketPath):
    return _basket(lambda s, t: baskets.cancel(s, t, path.basket_id))


@api.post("/baskets/<basket_id>/checkout", responses={201: SaleOut, 200: SaleOut})
def checkout(path: BasketPath, body: CheckoutIn, header: IdempotencyHeader):
    """Pay and close the basket.  The same Idempotency-Key returns the first sale (200) instead of a second."""
    store = current_app.config["POS_ROLE"] == "store"
    # points are spent online before the sale commits (given back if it then fails)
    points = loyalty_tender.spend(body.payments, body.customer_id, header.idempotency_key, current_till)

    def work(session, till):
        if store:
            try:
                check_may_sell(session)
            except SellingNotAllowedYet:
                raise not_selling_yet() from None
        sale, created = services.checkout(session, till, path.basket_id, points.payments, body.customer_id,
                                          header.idempotency_key, body.home_delivery, body.approval,
                                          coupon_hq=coupon_redeemer(current_app.config, till.currency))
        return sale, 201 if created else 200
    # The sale is committed before any device is touched: a printer fault can never lose a paid sale.
    try:
        committed = run(work)
    except Exception:
        points.give_back_unless_sold()
        raise
    return hand_over_sale(committed)


@api.get("/sales/<sale_id>", responses={200: SaleOut})
def get_sale(path: SalePath):
    return run(lambda s, t: services.sale_document(s, services.get_sale(s, path.sale_id)), read_only=True)
