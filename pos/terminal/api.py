"""What the cashier's page needs beyond selling: a sale found by what is printed on its receipt (never a
UUID typed by a person), this shift's sales, and the picture of the last slip the printer printed."""
from __future__ import annotations

import re
from typing import Literal

from flask import Response
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hardware.receipt_printer import render_png
from hardware.receipt_printer.layout import parse_receipt_code
from pos.devices.models import PrintJob
from pos.http import BEARER, run
from pos.problems import ApiProblem
from pos.sales.models import Sale
from pos.sales.services import get_sale, sale_document
from pos.shifts.services import current_shift
from pos.stores.models import Terminal

api = APIBlueprint("till", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="till")], abp_security=BEARER)

# "R-T1-42" as the receipt's QR code and barcode carry it; "T1-42", "T1/42" or "42" (this till) as typed
_TYPED = re.compile(r"^(?:R-)?(?:(?P<terminal>[A-Za-z0-9_.]+)[-/ ])?(?P<number>\d{1,9})$")
SLIP_KINDS = ("receipt_copy", "return", "x_report", "z_report", "shift_open", "shift_close", "cash_in", "cash_out")


class ReceiptQuery(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="as printed: R-T1-42 (scanned or typed), T1-42, "
                                                               "or 42 for this till")


class SaleFound(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    receipt_number: int


class ShiftSales(BaseModel):
    model_config = ConfigDict(extra="allow")
    items: list[dict]


class PrintoutQuery(BaseModel):
    kind: Literal[SLIP_KINDS]  # type: ignore[valid-type]


def receipt_reference(code: str, own_terminal: str) -> tuple[str, int]:
    """(terminal code, receipt number) from what the cashier scanned or typed."""
    parsed = parse_receipt_code(code)
    if parsed is not None:
        return parsed
    match = _TYPED.match(code.strip())
    if match is None:
        raise ApiProblem(422, "invalid-receipt-code", "code: type the receipt number as printed, e.g. R-T1-42",
                         field="code")
    return match["terminal"] or own_terminal, int(match["number"])


@api.get("/sales/by-receipt", responses={200: SaleFound})
def sale_by_receipt(query: ReceiptQuery):
    """The sale of this store whose receipt carries ``code``, with what is left to return on each line."""
    def work(session, till):
        terminal_code, number = receipt_reference(query.code, till.terminal.code)
        sale_id = session.scalar(select(Sale.id).join(Terminal, Terminal.id == Sale.terminal_id).where(
            Terminal.code == terminal_code, Terminal.location_id == till.location.id,
            Sale.receipt_number == number))
        if sale_id is None:
            raise ApiProblem(404, "unknown-receipt", f"code: no receipt {query.code} at this store", field="code",
                             code=query.code)
        return sale_document(session, get_sale(session, sale_id))
    return run(work, read_only=True)


@api.get("/shifts/current/sales", responses={200: ShiftSales})
def shift_sales():
    """This till's sales in its open shift, newest first."""
    def work(session, till):
        shift = current_shift(session, till)
        sales = session.scalars(select(Sale).where(Sale.shift_id == shift.id)
                                .order_by(Sale.receipt_number.desc())).all()
        return {"items": [{
            "id": str(sale.id), "receipt_number": sale.receipt_number, "receipt_code": f"R-{till.terminal.code}-"
            f"{sale.receipt_number}", "created_at": sale.created_at.isoformat(), "currency": sale.currency,
            "total": sale.total, "fiscal_status": sale.fiscal_status,
            "returned": sum(line.returned_quantity for line in sale.lines) > 0,
            "methods": sorted({payment.method for payment in sale.payments}),
        } for sale in sales]}
    return run(work, read_only=True)


@api.get("/printouts/last.png")
def last_printout(query: PrintoutQuery):
    """The last slip of ``kind`` this till's printer was sent, drawn from the bytes it got."""
    def work(session, till):
        job = session.scalars(select(PrintJob).where(PrintJob.terminal_id == till.terminal.id,
                                                     PrintJob.kind == query.kind)
                              .order_by(PrintJob.created_at.desc()).limit(1)).first()
        if job is None:
            raise ApiProblem(404, "nothing-printed", f"kind: this till has printed no {query.kind}", field="kind")
        return Response(render_png(job.data, job.profile or None, job.columns), mimetype="image/png",
                        headers={"Cache-Control": "private, no-store"})
    return run(work, read_only=True)
