"""HQ's quarantine API (a manager's login token; replays, discards and authorisations need a manager's PIN)."""
from __future__ import annotations

import uuid
from typing import Any, Literal

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.http import BEARER, run
from pos.problems import ApiProblem
from pos.schemas import Approval, Strict
from pos.staff.services import approve
from pos.stock.problem_docs import problem_responses
from pos.stores.auth import caller
from sync.quarantine import services
from sync.quarantine.services import QuarantineError, StillRefused

NO_NUL = r"^[^\x00]*$"  # PostgreSQL keeps no NUL in text: refused here as a field, not a 500 at the insert

api = APIBlueprint("quarantine", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="quarantine")],
                   abp_security=BEARER, abp_responses=problem_responses(401, 403, 404, 409, 422))


class QuarantineQuery(Strict):
    status: Literal["held", "replayed", "discarded"] | None = "held"
    store: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    limit: int = Field(default=200, ge=1, le=1000)


class QuarantinePath(BaseModel):
    quarantine_id: uuid.UUID


class ReplayIn(Strict):
    approval: Approval
    payload: dict[str, Any] | None = Field(default=None, description="the change fixed; left out: replay as sent")
    note: str = Field(default="", max_length=500, pattern=NO_NUL)


class DiscardIn(Strict):
    approval: Approval
    note: str = Field(min_length=1, max_length=500, pattern=NO_NUL,
                      description="why it is dropped (kept in the audit log)")


class CrossStoreReturnIn(Strict):
    approval: Approval
    sale_id: uuid.UUID
    store: str = Field(min_length=1, max_length=32, pattern=NO_NUL, description="the store that takes the sale back")
    reason: str = Field(default="", max_length=300, pattern=NO_NUL)


def _as_manager(work, **kw):
    def guarded(session, _till):
        who = caller(session, stores=False, manager=True)
        try:
            return work(session, who.till)
        except QuarantineError as exc:
            raise ApiProblem(exc.status, exc.slug, str(exc), field=exc.field) from None
        except StillRefused as exc:
            refusal = exc.refusal
            field = refusal.field.removeprefix("change.")
            raise ApiProblem(refusal.status, refusal.slug, f"{field}: {refusal.reason}; nothing was applied",
                             field=field, title=refusal.title) from None
    return run(guarded, auth=False, **kw)


def _approve(session, till, approval: Approval, action: str, item_id, details: dict):
    return approve(session, approval, current_app.extensions["pos.settings"].pin_policy, action=action,
                   cashier=till.cashier, terminal=till.terminal, subject=f"quarantined change {item_id}",
                   details=details)


def _details(session, item_id) -> dict:
    row, location = services.get(session, item_id)
    return {"store": location.code, "seq": row.seq, "entity": row.entity, "entity_id": row.entity_id,
            "problem": row.problem.get("detail", "")}


@api.get("/quarantine")
def list_quarantine(query: QuarantineQuery):
    """Store changes HQ refused, oldest first, with the problem each was refused with."""
    def work(session, _till):
        rows = services.listed(session, query.status, query.store, query.limit)
        return {"items": [services.item_json(row, store) for row, store in rows], "counts": services.counts(session)}
    return _as_manager(work, read_only=True)


@api.get("/quarantine/<quarantine_id>")
def show_quarantined(path: QuarantinePath):
    """One refused change with its payload as the store sent it."""
    def work(session, _till):
        row, location = services.get(session, path.quarantine_id)
        return services.item_json(row, location.code, payload=True)
    return _as_manager(work, read_only=True)


@api.post("/quarantine/<quarantine_id>/replay")
def replay_quarantined(path: QuarantinePath, body: ReplayIn):
    """Apply the change again (fixed, when ``payload`` is given), with the same checks as a push."""
    def work(session, till):
        details = {**_details(session, path.quarantine_id), "fixed": body.payload is not None, "note": body.note}
        manager = _approve(session, till, body.approval, "quarantine_replay", path.quarantine_id, details)
        row = services.replay(session, path.quarantine_id, manager, payload=body.payload, note=body.note)
        return services.item_json(row, details["store"], payload=True)
    return _as_manager(work)


@api.post("/quarantine/<quarantine_id>/discard")
def discard_quarantined(path: QuarantinePath, body: DiscardIn):
    """Drop the change for good (it stays listed as discarded, with the note and the manager)."""
    def work(session, till):
        details = {**_details(session, path.quarantine_id), "note": body.note}
        manager = _approve(session, till, body.approval, "quarantine_discard", path.quarantine_id, details)
        row = services.discard(session, path.quarantine_id, manager, body.note)
        return services.item_json(row, details["store"])
    return _as_manager(work)


@api.post("/cross-store-returns")
def authorise_cross_store_return(body: CrossStoreReturnIn):
    """Let a store take back a sale made at another store; its quarantined return can then be replayed."""
    def work(session, till):
        manager = approve(session, body.approval, current_app.extensions["pos.settings"].pin_policy,
                          action="cross_store_return", cashier=till.cashier, terminal=till.terminal,
                          subject=f"sale {body.sale_id}", details={"store": body.store, "reason": body.reason})
        found = services.authorise_return(session, body.sale_id, body.store, manager, body.reason)
        return {"id": str(found.id), "sale_id": str(found.sale_id), "store": body.store,
                "authorised_at": found.authorised_at.isoformat()}, 201
    return _as_manager(work)
