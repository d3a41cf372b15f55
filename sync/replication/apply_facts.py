"""HQ side: a store's returns, shift closes, Z reports and stock movements (far fewer than sales)."""
from __future__ import annotations

from sqlalchemy import select, update

from pos.customers.services import record_interaction
from pos.loyalty.services import POINTS, on_return
from pos.returns.models import Refund, Return, ReturnLine
from pos.sales.models import Payment, Sale, SaleLine
from pos.shifts.models import DayReport, Shift
from pos.stock.services import record_movements
from pos.stores.models import Location, Terminal
from sync.promises.taken import note_taken
from sync.quarantine.models import CrossStoreReturn
from sync.replication import ledger
from sync.replication.apply_sales import foreign_shifts, when
from sync.replication.checks import Conflict, InvalidPayload, Missing, NotYours
from sync.replication.references import References, as_uuid


def _store_of(session, location_id) -> str:
    return session.scalar(select(Location.code).where(Location.id == location_id)) or str(location_id)


def apply_return(session, refs: References, p: dict) -> bool:
    """A return of a sale made at this store; of another store's sale only where HQ authorised it
    (``cross_store_return``), else it is refused and quarantined."""
    return_id = as_uuid(p["id"])
    if session.get(Return, return_id) is not None:
        return False
    sale = session.get(Sale, as_uuid(p["sale_id"]))
    if sale is None:
        raise Missing("sale_id", f"sale {p['sale_id']} has not reached HQ (it may be quarantined itself); "
                                 f"replay this return once the sale is in")
    if sale.location_id != refs.location.id and session.scalar(select(CrossStoreReturn.id).where(
            CrossStoreReturn.sale_id == sale.id, CrossStoreReturn.location_id == refs.location.id)) is None:
        raise NotYours("sale_id", f"sale {sale.id} was made at store {_store_of(session, sale.location_id)}; "
                                  f"{refs.location.code} may take it back only once HQ authorises that "
                                  f"cross-store return")
    if sale.location_id != refs.location.id and not p.get("shift_id"):
        raise InvalidPayload("shift_id", "a return of another store's sale names the shift it was taken in")
    at = when(p["created_at"])
    terminal_id = refs.terminals({p["terminal"]})[p["terminal"]]
    cashier_id = as_uuid(p.get("cashier_id") or p["approved_by"])
    refs.cashiers({cashier_id, as_uuid(p["approved_by"])})
    shift_id = as_uuid(p["shift_id"]) if p.get("shift_id") else sale.shift_id
    if p.get("shift_id"):
        foreign_shifts(session, refs.location, {shift_id})
    refs.shifts({shift_id: (terminal_id, cashier_id, p["currency"], at)})
    returned = Return(id=return_id, sale_id=sale.id, terminal_id=terminal_id, location_id=refs.location.id,
                      shift_id=shift_id, cashier_id=cashier_id, approved_by=as_uuid(p["approved_by"]),
                      currency=p["currency"], total=p["total"], rounding=p.get("rounding", 0),
                      reason=p.get("reason", ""), created_at=at)
    lines = {line.id: line for line in session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id))}
    movements = []
    for j, item in enumerate(p["lines"]):
        sale_line = lines.get(as_uuid(item["sale_line_id"]))
        if sale_line is None:
            raise InvalidPayload(f"lines[{j}].sale_line_id", f"not a line of sale {sale.id}")
        left = sale_line.quantity - sale_line.returned_quantity
        if item["quantity"] > left:
            raise Conflict(f"lines[{j}].quantity", f"{item['quantity']} returned, but only {left} of "
                                                   f"{sale_line.quantity} are left to return at HQ")
        returned.lines.append(ReturnLine(sale_line_id=sale_line.id, quantity=item["quantity"], amount=item["amount"]))
        session.execute(update(SaleLine).where(SaleLine.id == sale_line.id).values(
            returned_quantity=SaleLine.returned_quantity + item["quantity"],
            returned_amount=SaleLine.returned_amount + item["amount"]))
        movements.append((sale_line.product_id, item["quantity"], "return", return_id, at))
    payments = list(session.scalars(select(Payment).where(Payment.sale_id == sale.id).order_by(Payment.position)))
    if p["refunds"] and not payments:
        raise InvalidPayload("refunds", f"sale {sale.id} has no payments at HQ to refund")
    for position, refund in enumerate(p["refunds"], start=1):
        payment = next((pay for pay in payments if pay.method == refund["method"]), payments[0])
        payment.refunded += refund["amount"]
        returned.refunds.append(Refund(payment_id=payment.id, position=position, method=refund["method"],
                                       amount=refund["amount"]))
    session.add(returned)
    session.flush()
    ledger.record_many(session, refs.location.id, movements)
    if sale.customer_id is not None:
        record_interaction(session, sale.customer_id, f"store:{refs.location.code}", "return", return_id,
                           {"sale_id": str(sale.id), "total": p["total"], "currency": p["currency"]}, at=at)
        references = {pay.id: pay.reference for pay in payments}
        # Loyalty where the return is applied: the sale's points back in proportion, a points tender refunded.
        on_return(session, sale.id, return_id, sale.customer_id, p["total"],
                  [(references.get(refund.payment_id, ""), refund.amount)
                   for refund in returned.refunds if refund.method == POINTS], f"store:{refs.location.code}", at)
    return True


SHIFT_FIELDS = ("status", "currency", "opening_float", "counted_cash", "expected_cash", "over_short")


def apply_shift(session, refs: References, p: dict) -> bool:
    shift_id = as_uuid(p["id"])
    terminal_id = refs.terminals({p["terminal"]})[p["terminal"]]
    cashier_id = as_uuid(p["cashier_id"]) if p.get("cashier_id") else None
    if cashier_id:
        refs.cashiers({cashier_id})
    shift = session.get(Shift, shift_id)
    if shift is not None and shift.terminal_id != terminal_id:
        owner = session.scalar(select(Terminal.location_id).where(Terminal.id == shift.terminal_id))
        if owner != refs.location.id:
            raise NotYours("id", f"shift {shift_id} is store {_store_of(session, owner)}'s")
    if shift is None:
        shift = Shift(id=shift_id, terminal_id=terminal_id, cashier_id=cashier_id, currency=p["currency"],
                      opening_float=p["opening_float"], opened_at=when(p["opened_at"]))
        session.add(shift)
    for field in SHIFT_FIELDS:
        setattr(shift, field, p.get(field))
    shift.opened_at = when(p["opened_at"])
    shift.closed_at = when(p["closed_at"]) if p.get("closed_at") else None
    if cashier_id:
        shift.cashier_id = cashier_id
    session.flush()
    return True


def apply_day_report(session, refs: References, p: dict) -> bool:
    report_id = as_uuid(p["id"])
    terminal_id = refs.terminals({p["terminal"]})[p["terminal"]]
    if session.get(DayReport, report_id) is not None:
        return False
    other = session.scalar(select(DayReport.id).where(DayReport.terminal_id == terminal_id,
                                                      DayReport.number == p["number"]))
    if other is not None:
        raise Conflict("number", f"Z report {p['number']} of till {p['terminal']} is report {other} at HQ "
                                 f"already; this is another report ({report_id})")
    created_by = as_uuid(p["created_by"]) if p.get("created_by") else None
    if created_by is None:
        raise Missing("created_by", f"day report {report_id} does not say who made it")
    refs.cashiers({created_by})
    totals = {k: v for k, v in p.items() if k not in ("id", "kind", "terminal", "number", "created_at", "created_by")}
    session.add(DayReport(id=report_id, terminal_id=terminal_id, number=p["number"], created_by=created_by,
                          created_at=when(p["created_at"]), totals=totals))
    session.flush()
    return True


def apply_fiscal(session, refs: References, p: dict) -> bool:
    """What the store's fiscal device made of a sale (its fiscal number, or why none): HQ keeps the newest."""
    sale = session.get(Sale, as_uuid(p["sale_id"]))
    if sale is None:
        raise Missing("sale_id", f"sale {p['sale_id']} has not reached HQ")
    if sale.location_id != refs.location.id:
        raise NotYours("sale_id", f"sale {p['sale_id']} was made at another store")
    sale.fiscal_status, sale.fiscal_number = p["fiscal_status"], p.get("fiscal_number")
    session.flush()
    return True


# HQ derives these from the sale or return itself; a feed entry for them as well must not count twice.
DERIVED = ("sale", "return")


def apply_stock(session, refs: References, p: dict) -> bool:
    """A stock movement made at the store (goods in, count, damage…), into HQ's ledger for that store.
    Accepts one movement ({product_id, quantity, reason}) or several ({movements: [...], reason})."""
    items = [i for i in (p.get("movements") or [p]) if (i.get("reason") or p.get("reason")) not in DERIVED]
    if not items:
        return False
    lines = [{"product_id": i["product_id"], "sku": i.get("sku") or str(i["product_id"]),
              "name": i.get("name") or i.get("sku") or str(i["product_id"]), "unit": i.get("unit", "pcs"),
              "vat_group": i.get("vat_group", "A"), "unit_price": 0} for i in items]
    products = refs.products(lines, refs.location.currency)
    reference = as_uuid(p["reference_id"]) if p.get("reference_id") else None
    movements = [(products[as_uuid(i["product_id"])], int(i["quantity"])) for i in items]
    record_movements(session, refs.location.id, movements, p.get("reason") or items[0].get("reason"), reference)
    note_taken(session, refs.location.id, [product_id for product_id, quantity in movements if quantity < 0],
               reference)
    return True


def apply_stock_document(session, refs: References, p: dict) -> bool:
    """Goods in, a count, damage or a transfer entered at the store: its movements into HQ's ledger for the
    store, and a transfer's arrivals into the destination's ledger when HQ knows that location."""
    applied = bool(p.get("movements")) and apply_stock(session, refs, {"movements": p["movements"],
                                                                       "reason": p.get("reason"),
                                                                       "reference_id": p.get("id")})
    if p.get("arrivals") and p.get("to_location"):
        destination = session.scalars(select(Location).where(Location.code == p["to_location"])).one_or_none()
        if destination is not None:
            arrivals = References(session, destination)
            applied = apply_stock(session, arrivals, {"movements": p["arrivals"], "reason": "transfer_in",
                                                      "reference_id": p.get("id")}) or applied
    return applied


def apply_gift_card(session, refs: References, p: dict) -> bool:
    """A card the store sold, a spend from its offline allowance, a refund to a card: HQ's balance moves
    once per key; an offline spend HQ cannot honour in full becomes an incident, never a negative balance."""
    from pos.giftcards.models import GiftCard
    from pos.giftcards.services import apply_store_change
    from pos.giftcards.till import ensure_product
    from pos.countries import country

    if p["op"] == "issued":
        ensure_product(session, country(refs.location.country))  # the sale's line points at it
    elif session.scalars(select(GiftCard.id).where(GiftCard.code == p["code"])).first() is None:
        raise Missing("code", f"HQ has no gift card {p['code']}")
    apply_store_change(session, refs.location.code, p)
    return True
