"""Gift cards over HTTP: the till (look a card up, sell one), a store asking HQ (balance and allowance,
redemption), managers at HQ or standalone (issue, liability, incidents)."""
from __future__ import annotations

import uuid

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.giftcards import services, till as at_till
from pos.http import BEARER, run, settings
from pos.problems import ApiProblem
from pos.sales import baskets
from pos.sales.schemas import BasketOut, BasketPath
from pos.schemas import IdempotencyHeader, Strict
from pos.stores.auth import caller

api = APIBlueprint("giftcards", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="gift cards")],
                   abp_security=BEARER)


class CodePath(BaseModel):
    code: str = Field(max_length=64, description="the card's code as printed or scanned (GC…; dashes allowed)")


class IncidentPath(BaseModel):
    incident_id: uuid.UUID


class SellIn(Strict):
    amount: int = Field(gt=0, le=services.MAX_AMOUNT, description="the card's value in minor units")


class RedeemIn(Strict):
    amount: int = Field(gt=0, le=services.MAX_AMOUNT, description="minor units")
    currency: str = Field(min_length=3, max_length=3)
    reference: str = Field(default="", max_length=100, description="the sale or order it pays for")


class IssueIn(Strict):
    amount: int = Field(gt=0, le=services.MAX_AMOUNT, description="minor units")
    currency: str | None = Field(default=None, min_length=3, max_length=3, description="default: the node's")
    valid_days: int | None = Field(default=None, ge=1, le=3650)
    customer_id: uuid.UUID | None = None


class ResolveIn(Strict):
    note: str = Field(min_length=1, max_length=500)


class IncidentQuery(BaseModel):
    status: str = Field(default="open", pattern="^(open|resolved|all)$")


def _require_key(header: IdempotencyHeader) -> str:
    if not header.idempotency_key:
        raise ApiProblem(400, "idempotency-key-missing", "Idempotency-Key: every redemption needs one (e.g. a UUID)",
                         field="Idempotency-Key")
    return header.idempotency_key


def _authoritative() -> None:
    if current_app.config["POS_ROLE"] == "store":
        raise ApiProblem(404, "not-here", "code: gift-card balances are kept at HQ", field="code")


@api.get("/gift-cards/<code>")
def get_card(path: CodePath):
    """The card's balance, what may be spent now and its expiry.  A store's sync token also gets (and
    renews) the store's offline allowance on the card; at a store node the till asks HQ, and while HQ is out
    of reach answers from that allowance (``source``: hq | local)."""
    code = services.normalise(path.code)

    def work(session, _):
        who = caller(session)
        if who.store is not None:
            _authoritative()
            return services.lookup(session, code, store=who.store.code, policy=at_till.policy())
        return at_till.lookup_at_till(session, code)
    return run(work, auth=False)


@api.post("/gift-cards/<code>/redemptions")
def redeem(path: CodePath, body: RedeemIn, header: IdempotencyHeader):
    """A store spends part of a card online (its sync token), once per Idempotency-Key; the answer carries
    the store's renewed offline allowance.  The same key again answers as the first time (200)."""
    code, key = services.normalise(path.code), _require_key(header)

    def work(session, _):
        _authoritative()
        who = caller(session)
        store = who.store.code if who.store is not None else None
        channel = f"store:{store}" if store else f"till:{who.till.location.code}"
        answer = services.redeem(session, code, body.amount, body.currency, f"{channel}:{key}" if not store else key,
                                 channel=channel, reference=body.reference, store=store,
                                 policy=at_till.policy() if store else None)
        return answer, 200 if answer["replayed"] else 201
    return run(work, auth=False)


@api.post("/baskets/<basket_id>/gift-cards", responses={201: BasketOut})
def sell(path: BasketPath, body: SellIn):
    """Sell a gift card of ``amount``: a line not charged VAT and not on the fiscal receipt (a multi-purpose
    voucher); the card is issued when the sale is paid, its code in the sale's ``gift_cards``."""
    return run(lambda s, t: (baskets.basket_json(at_till.sell_line(s, t, path.basket_id, body.amount),
                                                 t.vat_rates), 201))


@api.post("/gift-cards")
def issue(body: IssueIn, header: IdempotencyHeader):
    """A manager issues a card by hand (a goodwill gesture, a card sold outside the till)."""
    key = _require_key(header)

    def work(session, _):
        _authoritative()
        who = caller(session, stores=False, manager=True)
        rules = at_till.policy()
        if body.valid_days:
            rules = services.Policy(body.valid_days, rules.offline_allowance, rules.lease_hours)
        card, created = services.issue(session, amount=body.amount,
                                       currency=body.currency or settings().country.currency,
                                       key=f"manual:{key}", issued_by=f"hq:{who.till.cashier.login}", policy=rules,
                                       customer_id=body.customer_id)
        return services.card_json(session, card), 201 if created else 200
    return run(work, auth=False)


@api.get("/gift-cards/liability")
def liability():
    """What the shop owes on gift cards, per currency: outstanding on live cards, expired unspent, issued, redeemed."""
    def work(session, _):
        _authoritative()
        caller(session, stores=False, manager=True)
        return {"currencies": services.liability(session)}
    return run(work, read_only=True, auth=False)


@api.get("/gift-card-incidents")
def list_incidents(query: IncidentQuery):
    """Offline spends HQ could not honour in full (the card was spent elsewhere meanwhile)."""
    def work(session, _):
        _authoritative()
        caller(session, stores=False, manager=True)
        return {"items": [incident_json(i) for i in services.incidents(session, query.status)]}
    return run(work, read_only=True, auth=False)


@api.post("/gift-card-incidents/<incident_id>/resolve")
def resolve(path: IncidentPath, body: ResolveIn):
    def work(session, _):
        _authoritative()
        caller(session, stores=False, manager=True)
        return incident_json(services.resolve_incident(session, path.incident_id, body.note))
    return run(work, auth=False)


def incident_json(incident) -> dict:
    return {"id": str(incident.id), "kind": incident.kind, "store": incident.store, "asked": incident.asked,
            "taken": incident.taken, "short": incident.short, "currency": incident.currency,
            "status": incident.status, "note": incident.note, "details": incident.details,
            "key": incident.idempotency_key, "created_at": incident.created_at.isoformat()}
