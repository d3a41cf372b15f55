"""Shifts: float, cash in/out, X report, close with a count, Z report closing the day."""
from __future__ import annotations

from sqlalchemy import func, select, update

from pos.db import utcnow
from pos.feed.services import record_change
from pos.problems import ApiProblem
from pos.returns.models import Refund, Return
from pos.sales.models import Payment, Sale, SaleVat
from pos.shifts.models import CashMovement, DayReport, Shift
from pos.stores.models import Terminal
from pos.till import Till


def open_shift_for(session, terminal_id) -> Shift | None:
    return session.scalars(select(Shift).where(Shift.terminal_id == terminal_id, Shift.status == "open")).first()


def open_shift(session, till: Till, opening_float: int) -> Shift:
    if opening_float < 0:
        raise ApiProblem(422, "invalid-amount", "opening_float: cannot be negative", field="opening_float")
    if open_shift_for(session, till.terminal.id) is not None:
        raise ApiProblem(409, "shift-already-open", "shift: this terminal already has an open shift", field="shift")
    shift = Shift(terminal_id=till.terminal.id, cashier_id=till.cashier.id, currency=till.currency,
                  opening_float=opening_float, opened_at=utcnow())
    session.add(shift)
    session.flush()
    session.add(CashMovement(shift_id=shift.id, kind="float", amount=opening_float, reason="opening float"))
    return shift


def current_shift(session, till: Till) -> Shift:
    shift = open_shift_for(session, till.terminal.id)
    if shift is None:
        raise ApiProblem(409, "no-open-shift", "shift: no shift is open on this terminal", field="shift")
    return shift


def move_cash(session, till: Till, kind: str, amount: int, reason: str) -> CashMovement:
    if amount <= 0:
        raise ApiProblem(422, "invalid-amount", "amount: must be greater than zero", field="amount")
    shift = current_shift(session, till)
    signed = amount if kind == "cash_in" else -amount
    movement = CashMovement(shift_id=shift.id, kind=kind, amount=signed, reason=reason)
    session.add(movement)
    return movement


def _shift_figures(session, shift_ids: list) -> dict:
    sales = session.execute(select(func.count(Sale.id), func.coalesce(func.sum(Sale.total), 0),
                                   func.coalesce(func.sum(Sale.rounding), 0))
                            .where(Sale.shift_id.in_(shift_ids))).one()
    vat = session.execute(select(SaleVat.vat_group, SaleVat.vat_rate_bp, func.sum(SaleVat.gross), func.sum(SaleVat.vat))
                          .join(Sale, Sale.id == SaleVat.sale_id).where(Sale.shift_id.in_(shift_ids))
                          .group_by(SaleVat.vat_group, SaleVat.vat_rate_bp).order_by(SaleVat.vat_group)).all()
    tenders = session.execute(select(Payment.method, func.sum(Payment.amount)).join(Sale, Sale.id == Payment.sale_id)
                              .where(Sale.shift_id.in_(shift_ids)).group_by(Payment.method)
                              .order_by(Payment.method)).all()
    change = session.scalar(select(func.coalesce(func.sum(Sale.change), 0)).where(Sale.shift_id.in_(shift_ids)))
    refunds = session.execute(select(Refund.method, func.sum(Refund.amount)).join(Return, Return.id == Refund.return_id)
                              .where(Return.shift_id.in_(shift_ids)).group_by(Refund.method)
                              .order_by(Refund.method)).all()
    returns_count = session.scalar(select(func.count(Return.id)).where(Return.shift_id.in_(shift_ids)))
    cash = session.execute(select(CashMovement.kind, func.sum(CashMovement.amount))
                           .where(CashMovement.shift_id.in_(shift_ids)).group_by(CashMovement.kind)
                           .order_by(CashMovement.kind)).all()
    cash_by_kind = {kind: int(amount) for kind, amount in cash}
    tender_totals = {method: int(amount) for method, amount in tenders}
    if "cash" in tender_totals:
        tender_totals["cash"] -= int(change)  # what the drawer kept
    return {
        "sales_count": int(sales[0]),
        "sales_total": int(sales[1]),
        "cash_rounding": int(sales[2]),
        "vat": [{"vat_group": g, "vat_rate_bp": r, "gross": int(gross), "vat": int(v)} for g, r, gross, v in vat],
        "tenders": tender_totals,
        "returns_count": int(returns_count),
        "refunds": {method: int(amount) for method, amount in refunds},
        "cash_movements": cash_by_kind,
        "expected_cash": sum(cash_by_kind.values()),
    }


def x_report(session, till: Till) -> dict:
    shift = current_shift(session, till)
    return {"kind": "X", "shift": shift_json(shift), "at": utcnow().isoformat(), **_shift_figures(session, [shift.id])}


def close_shift(session, till: Till, counted_cash: int) -> Shift:
    if counted_cash < 0:
        raise ApiProblem(422, "invalid-amount", "counted_cash: cannot be negative", field="counted_cash")
    shift = current_shift(session, till)
    figures = _shift_figures(session, [shift.id])
    shift.status = "closed"
    shift.closed_at = utcnow()
    shift.counted_cash = counted_cash
    shift.expected_cash = figures["expected_cash"]
    shift.over_short = counted_cash - figures["expected_cash"]
    session.flush()
    record_change(session, "shift", shift.id, {**shift_json(shift), **figures, "terminal": till.terminal.code},
                  op="closed")
    return shift


def day_report(session, till: Till) -> DayReport:
    """The Z report: totals of every closed shift since the last Z; refused while a shift is open."""
    if open_shift_for(session, till.terminal.id) is not None:
        raise ApiProblem(409, "shift-open", "shift: close the open shift before the day report", field="shift")
    shift_ids = list(session.scalars(select(Shift.id).where(Shift.terminal_id == till.terminal.id,
                                                            Shift.status == "closed",
                                                            Shift.day_report_id.is_(None))))
    number = session.execute(update(Terminal).where(Terminal.id == till.terminal.id)
                             .values(last_day_report_number=Terminal.last_day_report_number + 1)
                             .returning(Terminal.last_day_report_number)).scalar_one()
    figures = _shift_figures(session, shift_ids) if shift_ids else _shift_figures(session, [])
    report = DayReport(terminal_id=till.terminal.id, number=number, created_by=till.cashier.id, created_at=utcnow(),
                       totals={**figures, "shifts": len(shift_ids)})
    session.add(report)
    session.flush()
    if shift_ids:
        session.execute(update(Shift).where(Shift.id.in_(shift_ids)).values(day_report_id=report.id))
    record_change(session, "day_report", report.id, day_report_json(report, till.terminal.code))
    return report


def shift_json(shift: Shift) -> dict:
    return {
        "id": str(shift.id), "status": shift.status, "currency": shift.currency,
        "opening_float": shift.opening_float, "opened_at": shift.opened_at.isoformat(),
        "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
        "counted_cash": shift.counted_cash, "expected_cash": shift.expected_cash, "over_short": shift.over_short,
    }


def day_report_json(report: DayReport, terminal_code: str) -> dict:
    return {"id": str(report.id), "kind": "Z", "terminal": terminal_code, "number": report.number,
            "created_at": report.created_at.isoformat(), **report.totals}
