"""The web shop spends gift cards through the sync API: balance, redemption and refund (API key with scopes).

HQ holds the balance (pos.giftcards); a redemption is spent once per Idempotency-Key whichever channel
sends it, and a web redemption racing a store's on the same card is serialised on the card's row."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.giftcards import services
from pos.schemas import Strict
from pos.stock.problem_docs import problem_responses
from sync.webshop.http import client_run
from sync.webshop.schemas import RequiredIdempotencyKey
from pos.http import BEARER

api = APIBlueprint("webshop_giftcards", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="web shop")],
                   abp_security=BEARER)


class CodePath(BaseModel):
    code: str = Field(max_length=64, description="the card's code (GC…, dashes and spaces allowed)")


class WebRedeemIn(Strict):
    amount: int = Field(gt=0, le=services.MAX_AMOUNT, description="minor units")
    currency: str = Field(min_length=3, max_length=3)
    order_id: str = Field(default="", max_length=100, description="the web shop's order it pays for")


class WebRefundIn(Strict):
    amount: int = Field(gt=0, le=services.MAX_AMOUNT, description="minor units")
    order_id: str = Field(default="", max_length=100)


@api.get("/web/gift-cards/<code>", responses=problem_responses(400, 401, 403, 404, 422))
def web_card(path: CodePath):
    """Balance, what may be spent now (less what stores hold to spend offline) and expiry."""
    code = services.normalise(path.code)
    return client_run("giftcards:read", lambda s, c: services.lookup(s, code), read_only=True)


@api.post("/web/gift-cards/<code>/redemptions", responses=problem_responses(400, 401, 403, 404, 409, 422))
def web_redeem(path: CodePath, body: WebRedeemIn, header: RequiredIdempotencyKey):
    """Spend part of a card for an order; the same Idempotency-Key and body answer as the first time."""
    code = services.normalise(path.code)

    def work(session, client):
        answer = services.redeem(session, code, body.amount, body.currency, f"web:{client.id}:{header.idempotency_key}",
                                 channel=f"web:{client.name}", reference=body.order_id)
        return answer, 201
    return client_run("giftcards:write", work, idempotency_key=header.idempotency_key)


@api.post("/web/gift-cards/<code>/refunds", responses=problem_responses(400, 401, 403, 404, 409, 422))
def web_refund(path: CodePath, body: WebRefundIn, header: RequiredIdempotencyKey):
    """Goods of an order paid by the card came back: the money goes back on the card."""
    code = services.normalise(path.code)

    def work(session, client):
        return services.refund(session, code, body.amount, f"web:{client.id}:{header.idempotency_key}",
                               channel=f"web:{client.name}", reference=body.order_id), 201
    return client_run("giftcards:write", work, idempotency_key=header.idempotency_key)
