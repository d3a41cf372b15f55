from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from pos.devices.day_reports import fiscal_report_after
from pos.devices.slips import print_after
from pos.http import BEARER, run
from pos.schemas import Strict
from pos.shifts import services

api = APIBlueprint("shifts", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="shifts")], abp_security=BEARER)


class OpenShiftIn(Strict):
    opening_float: int = Field(ge=0, le=10**10, description="cash in the drawer at the start, minor units")


class CashIn(Strict):
    kind: Literal["cash_in", "cash_out"]
    amount: int = Field(gt=0, le=10**10)
    reason: str = Field(default="", max_length=300)


class CloseShiftIn(Strict):
    counted_cash: int = Field(ge=0, le=10**10, description="cash counted in the drawer, minor units")


class ShiftOut(BaseModel):
    id: str
    status: str
    currency: str
    opening_float: int
    opened_at: str
    closed_at: str | None
    counted_cash: int | None
    expected_cash: int | None
    over_short: int | None


class ReportOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str
    sales_count: int
    sales_total: int
    expected_cash: int


@api.get("/shifts/current", responses={200: ShiftOut})
def current_shift():
    return run(lambda s, t: services.shift_json(services.current_shift(s, t)), read_only=True)


@api.post("/shifts", responses={201: ShiftOut})
def open_shift(body: OpenShiftIn):
    return print_after(run(lambda s, t: (services.shift_json(services.open_shift(s, t, body.opening_float)), 201)),
                       "shift_open")


@api.post("/shifts/current/cash", responses={201: ShiftOut})
def move_cash(body: CashIn):
    """Cash in (e.g. change from the safe) or cash out (a pick-up to the safe)."""
    def work(session, till):
        services.move_cash(session, till, body.kind, body.amount, body.reason)
        return services.shift_json(services.current_shift(session, till)), 201
    return print_after(run(work), body.kind, amount=body.amount, reason=body.reason)


@api.get("/shifts/current/x-report", responses={200: ReportOut})
def x_report():
    """Totals so far; changes nothing."""
    return run(lambda s, t: services.x_report(s, t), read_only=True)


@api.post("/shifts/current/close", responses={200: ShiftOut})
def close_shift(body: CloseShiftIn):
    """Close with the counted cash; over/short against expected is recorded."""
    return print_after(run(lambda s, t: services.shift_json(services.close_shift(s, t, body.counted_cash))),
                       "shift_close")


@api.post("/day-reports", responses={201: ReportOut})
def day_report():
    """The Z report, closing the terminal's day; then (committed, slip printed) the fiscal printer's daily
    report, once every sale of the till is settled with it (``fiscal_daily_report`` in the answer)."""
    return fiscal_report_after(print_after(
        run(lambda s, t: (services.day_report_json(services.day_report(s, t), t.terminal.code), 201)), "z_report"))
