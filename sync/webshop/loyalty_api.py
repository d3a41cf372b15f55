"""The web shop's loyalty: a customer's balance (loyalty:read) and points spent on an order
(loyalty:write, Idempotency-Key on every POST: a retried redemption spends once)."""
from __future__ import annotations

import uuid

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlalchemy import select

from pos.customers.identity import IdentityError, normalise_email
from pos.customers.models import Customer
from pos.http import BEARER
from pos.loyalty import services
from pos.problems import ApiProblem
from pos.schemas import Strict
from sync.webshop.http import client_run
from sync.webshop.schemas import RequiredIdempotencyKey

api = APIBlueprint("webshop_loyalty", __name__, url_prefix="/api/v1/shop/loyalty",
                   abp_tags=[Tag(name="web shop")], abp_security=BEARER)


class AccountQuery(BaseModel):
    customer_id: uuid.UUID | None = None
    email: str | None = Field(default=None, max_length=254)


class ShopRedemptionIn(Strict):
    customer_id: uuid.UUID | None = None
    email: str | None = Field(default=None, max_length=254, description="or the customer's e-mail")
    amount: int = Field(gt=0, le=10**11, description="minor units of the order paid with points")
    currency: str = Field(min_length=3, max_length=3)
    order_id: str = Field(default="", max_length=100)
    channel: str = Field(default="webshop", min_length=1, max_length=32)


class RedemptionPath(BaseModel):
    redemption_id: uuid.UUID


def _refused(error: services.LoyaltyError) -> ApiProblem:
    return ApiProblem(error.status, error.code, f"{error.field}: {error.reason}", field=error.field, **error.extra)


def _customer(session, customer_id, email) -> uuid.UUID:
    if customer_id is not None:
        return customer_id
    try:
        address = normalise_email(email)
    except IdentityError as exc:
        raise ApiProblem(422, "invalid-field", str(exc), field="email") from None
    if not address:
        raise ApiProblem(422, "invalid-field", "customer_id: give the customer's id or e-mail", field="customer_id")
    found = session.scalar(select(Customer.id).where(Customer.email == address, Customer.merged_into.is_(None)))
    if found is None:
        raise ApiProblem(404, "unknown-customer", f"email: no customer {address}", field="email")
    return found


@api.get("/account")
def shop_account(query: AccountQuery):
    """Balance, tier, what the points are worth and the latest entries."""
    def work(session, client):
        try:
            return services.summary(session, _customer(session, query.customer_id, query.email), history=20)
        except services.LoyaltyError as error:
            raise _refused(error) from None
    return client_run("loyalty:read", work, read_only=True)


@api.post("/redemptions", responses={201: None})
def shop_redeem(body: ShopRedemptionIn, header: RequiredIdempotencyKey):
    """Spend points worth ``amount`` (rounded up to whole points); 409 insufficient-points when the balance
    is short.  Send the order's paid_with_points with POST /api/v1/orders so that part earns nothing."""
    def work(session, client):
        customer_id = _customer(session, body.customer_id, body.email)
        try:
            entry, created = services.redeem(session, customer_id, body.amount, body.currency,
                                             f"redeem:client:{client.id}:{header.idempotency_key}", body.channel,
                                             body.order_id)
        except services.LoyaltyError as error:
            raise _refused(error) from None
        return {"id": str(entry.id), "points": -entry.points, "amount": entry.value, "currency": entry.currency,
                "balance": services.account_for(session, customer_id).balance}, 201 if created else 200
    return client_run("loyalty:write", work, idempotency_key=header.idempotency_key)


@api.post("/redemptions/<redemption_id>/void")
def shop_void(path: RedemptionPath, header: RequiredIdempotencyKey):
    """The order was not placed (or cancelled before shipping): the points go back, once."""
    def work(session, client):
        try:
            entry = services.redemption(session, path.redemption_id)
            if not entry.key.startswith(f"redeem:client:{client.id}:"):
                raise services.LoyaltyError("unknown-redemption", "redemption_id",
                                            f"no redemption {path.redemption_id} of this client", status=404)
            services.give_back(session, entry, f"void:{entry.key}", "void")
        except services.LoyaltyError as error:
            raise _refused(error) from None
        return {"id": str(entry.id), "voided": True}
    return client_run("loyalty:write", work, idempotency_key=header.idempotency_key)
