"""HQ's promise-conflict API (a manager's login token; applying and dismissing need a manager's PIN)."""
from __future__ import annotations

import uuid
from typing import Literal

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.http import BEARER, run
from pos.problems import ApiProblem, problem_response
from pos.schemas import Approval, Strict
from pos.staff.services import approve
from pos.stock.problem_docs import problem_responses
from pos.stores.auth import caller
from sync.promises import services
from sync.promises.services import PromiseError, ProposalChanged
from sync.stock.availability import Freshness

NO_NUL = r"^[^\x00]*$"

api = APIBlueprint("promises", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="promise conflicts")],
                   abp_security=BEARER, abp_responses=problem_responses(401, 403, 404, 409, 422))


class ConflictQuery(Strict):
    status: Literal["open", "applied", "dismissed", "settled"] | None = "open"
    store: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    limit: int = Field(default=200, ge=1, le=1000)


class ConflictPath(BaseModel):
    conflict_id: uuid.UUID


class ApplyIn(Strict):
    approval: Approval
    note: str = Field(default="", max_length=500, pattern=NO_NUL)


class DismissIn(Strict):
    approval: Approval
    note: str = Field(min_length=1, max_length=500, pattern=NO_NUL,
                      description="why nothing is done (kept in the audit log)")


def _as_manager(work, **kw):
    def guarded(session, _till):
        who = caller(session, stores=False, manager=True)
        try:
            return work(session, who.till)
        except PromiseError as exc:
            raise ApiProblem(exc.status, exc.slug, str(exc), field=exc.field) from None
    return run(guarded, auth=False, **kw)


def _approve(session, till, approval: Approval, action: str, conflict, store: str, details: dict):
    return approve(session, approval, current_app.extensions["pos.settings"].pin_policy, action=action,
                   cashier=till.cashier, terminal=till.terminal, subject=f"promise conflict {conflict.id}",
                   details={"store": store, "sku": conflict.sku, "short": conflict.short,
                            "proposal": conflict.proposal, **details})


@api.get("/promise-conflicts")
def list_conflicts(query: ConflictQuery):
    """Units HQ promised at a store that the store's own sales took, oldest first, each with a proposal."""
    def work(session, _till):
        rows = services.listed(session, query.status, query.store, query.limit)
        return {"items": [services.conflict_json(row, store) for row, store in rows],
                "counts": services.counts(session)}
    return _as_manager(work, read_only=True)


@api.get("/promise-conflicts/<conflict_id>")
def show_conflict(path: ConflictPath):
    """One promise conflict: the store, SKU, units short, the reservations affected and the proposal."""
    def work(session, _till):
        return services.conflict_json(*services.get(session, path.conflict_id))
    return _as_manager(work, read_only=True)


@api.post("/promise-conflicts/<conflict_id>/apply")
def apply_conflict(path: ConflictPath, body: ApplyIn):
    """Carry out the proposal: re-source reservations to the named locations, or cancel them.  A proposal
    the levels have moved past is replaced and answered 409 `proposal-changed` (nothing else done)."""
    def work(session, till):
        try:
            conflict, store, locked = services.prepare(session, Freshness.from_config(current_app.config),
                                                       path.conflict_id)
        except ProposalChanged as exc:
            # Answered, not raised: the new proposal is kept for the operator to look at.
            return problem_response(ApiProblem(exc.status, exc.slug, str(exc), field=exc.field,
                                               conflict=services.conflict_json(exc.conflict, _store(session, exc))))
        manager = _approve(session, till, body.approval, "promise_conflict_apply", conflict, store,
                           {"note": body.note})
        return services.conflict_json(services.apply(session, conflict, store, locked, manager, body.note), store)
    return _as_manager(work)


@api.post("/promise-conflicts/<conflict_id>/dismiss")
def dismiss_conflict(path: ConflictPath, body: DismissIn):
    """Close it without touching any reservation (e.g. the goods turned up); kept, with the note."""
    def work(session, till):
        conflict, store = services.get(session, path.conflict_id)
        manager = _approve(session, till, body.approval, "promise_conflict_dismiss", conflict, store,
                           {"note": body.note})
        return services.conflict_json(services.dismiss(session, path.conflict_id, manager, body.note)[0], store)
    return _as_manager(work)


def _store(session, exc: ProposalChanged) -> str:
    return services.get(session, exc.conflict.id)[1]
