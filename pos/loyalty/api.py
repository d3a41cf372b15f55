"""Loyalty over HTTP: the programme (managers), a customer's balance and history, and points spent as a
tender by a till or a store (with its sync token) against the node that holds the points."""
from __future__ import annotations

import uuid

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.http import BEARER, run
from pos.loyalty import services, tender
from pos.loyalty.cards import card_url
from pos.problems import ApiProblem
from pos.schemas import IdempotencyHeader, Strict
from pos.staff.models import AuditEntry
from pos.stores.auth import caller

api = APIBlueprint("loyalty", __name__, url_prefix="/api/v1/loyalty", abp_tags=[Tag(name="loyalty")],
                   abp_security=BEARER)


class CustomerPath(BaseModel):
    customer_id: uuid.UUID


class RedemptionPath(BaseModel):
    redemption_id: uuid.UUID


class Tier(Strict):
    name: str = Field(min_length=1, max_length=40)
    threshold: int = Field(ge=0, le=10**12, description="points earned within the rolling period")
    multiplier_bp: int = Field(default=10_000, ge=10_000, le=1_000_000, description="10 000 is 1×")


class ProgrammeIn(Strict):
    name: str = Field(default="", max_length=100)
    active: bool = True
    points_per_unit: int = Field(ge=0, le=10_000, description="points per whole currency unit paid")
    point_value: int = Field(ge=1, le=1_000_000, description="minor units one point pays")
    rolling_days: int = Field(default=365, ge=1, le=3650, description="the tiers' period")
    group_multipliers: dict[str, int] = Field(default_factory=dict, description="product group → basis points")
    tiers: list[Tier] = Field(default_factory=list, max_length=20)


class RedemptionIn(Strict):
    customer_id: uuid.UUID
    amount: int = Field(gt=0, le=10**11, description="minor units to pay with points")
    currency: str = Field(min_length=3, max_length=3)
    channel: str = Field(default="", max_length=32)


def _refusal(error: services.LoyaltyError) -> ApiProblem:
    return tender.problem(error)


def _authority():
    if current_app.config["POS_ROLE"] == "store":
        raise ApiProblem(404, "not-here", "path: a store holds no points; head office does", field="path")


@api.get("/programme")
def get_programme():
    """The shop's programme (null where none is set up)."""
    def work(session, _):
        caller(session)
        return {"programme": services.programme_json(services.programme(session))}
    return run(work, read_only=True, auth=False)


@api.put("/programme")
def put_programme(body: ProgrammeIn):
    """Set the programme's rules (a manager); the change is in the audit log."""
    _authority()

    def work(session, _):
        who = caller(session, stores=False, manager=True)
        try:
            found, changed = services.configure(session, body.model_dump())
        except services.LoyaltyError as error:
            raise _refusal(error) from None
        session.add(AuditEntry(action="loyalty_programme", manager_id=who.till.cashier.id,
                               terminal_id=who.till.terminal.id, subject="loyalty programme",
                               details={"changed": changed, "via": "api"}))
        return {"programme": services.programme_json(found)}
    return run(work, auth=False)


@api.get("/accounts/<customer_id>")
def get_account(path: CustomerPath):
    """Balance, tier and history; a store asks head office (503 loyalty-offline while it cannot)."""
    if current_app.config["POS_ROLE"] == "store":
        run(lambda session, _: caller(session) and {}, read_only=True, auth=False)  # a till of this store
        body = tender.summary(path.customer_id)
        return run(lambda session, _: body, read_only=True, auth=False)

    def work(session, _):
        caller(session)
        try:
            found = services.summary(session, path.customer_id)
        except services.LoyaltyError as error:
            raise _refusal(error) from None
        return {**found, "card_url": card_url(found["customer_id"])}
    return run(work, read_only=True, auth=False)


@api.post("/redemptions", responses={201: None})
def redeem(body: RedemptionIn, header: IdempotencyHeader):
    """Spend points worth ``amount`` (rounded up to whole points) once per Idempotency-Key: the same key
    answers with the same redemption (200), another body under it is refused (422)."""
    _authority()
    if not header.idempotency_key:
        raise ApiProblem(400, "idempotency-key-missing", "Idempotency-Key: every redemption needs one",
                         field="Idempotency-Key")

    def work(session, _):
        who = caller(session)
        where = who.store.code if who.store is not None else who.till.location.code
        channel = body.channel or f"store:{where}"
        try:
            entry, created = services.redeem(session, body.customer_id, body.amount, body.currency,
                                             f"redeem:{where}:{header.idempotency_key}", channel)
        except services.LoyaltyError as error:
            raise _refusal(error) from None
        balance = services.account_for(session, body.customer_id).balance
        return {"id": str(entry.id), "points": -entry.points, "amount": entry.value, "currency": entry.currency,
                "balance": balance}, 201 if created else 200
    return run(work, auth=False)


@api.post("/redemptions/<redemption_id>/void")
def void(path: RedemptionPath):
    """The sale the points paid for did not happen: they go back to the account (once)."""
    _authority()

    def work(session, _):
        who = caller(session)
        where = who.store.code if who.store is not None else who.till.location.code
        try:
            entry = services.redemption(session, path.redemption_id)
            # Only where it was spent may undo it: one store's token never touches another store's facts.
            if not entry.key.startswith(f"redeem:{where}:"):
                raise ApiProblem(404, "not-found", f"redemption_id: {where} made no redemption "
                                 f"{path.redemption_id}", field="redemption_id")
            services.give_back(session, entry, f"void:{entry.key}", "void")
        except services.LoyaltyError as error:
            raise _refusal(error) from None
        return {"id": str(entry.id), "voided": True}
    return run(work, auth=False)
