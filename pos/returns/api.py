from __future__ import annotations

import uuid

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.devices.slips import print_after
from pos.http import BEARER, run
from pos.returns import services
from pos.schemas import Approval, IdempotencyHeader, Strict

api = APIBlueprint("returns", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="returns")], abp_security=BEARER)


class ReturnLineIn(Strict):
    sale_line_id: uuid.UUID
    quantity: int = Field(description="pieces, or grams for goods sold by weight")


class ReturnIn(Strict):
    sale_id: uuid.UUID
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)
    approval: Approval | None = Field(default=None, description="a manager's login and PIN (required)")
    reason: str = Field(default="", max_length=300)


class ReturnLineOut(BaseModel):
    sale_line_id: str
    quantity: int
    amount: int


class RefundOut(BaseModel):
    method: str
    amount: int


class ReturnOut(BaseModel):
    id: str
    sale_id: str
    store: str
    terminal: str
    created_at: str
    currency: str
    total: int
    rounding: int
    reason: str
    approved_by: str
    lines: list[ReturnLineOut]
    refunds: list[RefundOut]


@api.post("/returns", responses={201: ReturnOut, 200: ReturnOut})
def create_return(body: ReturnIn, header: IdempotencyHeader):
    """Return lines of a sale (partially); needs a manager PIN; refunds go to the original tenders."""
    def work(session, till):
        returned, created = services.create_return(session, till, body.sale_id, body.lines, body.approval,
                                                   body.reason, header.idempotency_key)
        return services.return_json(returned, till.location.code, till.terminal.code), 201 if created else 200
    return print_after(run(work), "return")


class VoidIn(Strict):
    approval: Approval | None = Field(default=None, description="a manager's login and PIN (required)")
    reason: str = Field(default="", max_length=300)


class SalePath(BaseModel):
    sale_id: uuid.UUID


@api.post("/sales/<sale_id>/void", responses={201: ReturnOut, 200: ReturnOut})
def void_sale(path: SalePath, body: VoidIn, header: IdempotencyHeader):
    """Void a paid sale: reversed whole as a return, refunded to the original tenders; needs a manager PIN."""
    def work(session, till):
        returned, created = services.void_sale(session, till, path.sale_id, body.approval, body.reason,
                                               header.idempotency_key)
        return services.return_json(returned, till.location.code, till.terminal.code), 201 if created else 200
    return print_after(run(work), "return")
