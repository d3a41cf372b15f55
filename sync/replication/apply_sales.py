"""HQ side: a batch of a store's sales, written with one bulk write (COPY on PostgreSQL) per table."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pos.customers.models import CustomerEvent
from pos.ids import new_id
from pos.loyalty.services import earn_for_sale
from pos.sales.models import Basket, Payment, Sale, SaleLine, SaleVat
from pos.shifts.models import Shift
from pos.stores.models import Terminal
from pos.giftcards.till import SKU as GIFT_CARD_SKU
from sync.replication import bulk, ledger
from sync.replication.checks import Conflict, NotYours
from sync.replication.references import References, as_uuid

BASKET = (Basket.__table__, ("id", "terminal_id", "cashier_id", "status", "customer_id", "currency",
                             "discount_percent_bp", "discount_amount", "created_at", "updated_at"))
SALE = (Sale.__table__, ("id", "terminal_id", "location_id", "shift_id", "cashier_id", "customer_id", "basket_id",
                         "receipt_number", "currency", "subtotal", "discount_total", "total", "rounding", "change",
                         "idempotency_key", "request_hash", "fiscal_status", "fiscal_number", "created_at"))
LINE = (SaleLine.__table__, ("id", "sale_id", "position", "product_id", "sku", "name", "unit", "quantity",
                             "unit_price", "gross", "discount", "amount", "vat_group", "vat_rate_bp",
                             "returned_quantity", "returned_amount"))
VAT = (SaleVat.__table__, ("sale_id", "vat_group", "vat_rate_bp", "gross", "vat"))
PAYMENT = (Payment.__table__, ("id", "sale_id", "position", "method", "amount", "reference", "refunded"))
EVENT = (CustomerEvent.__table__, ("id", "customer_id", "at", "channel", "kind", "reference", "details"))


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def apply_sales(session, refs: References, payloads: list[dict]) -> int:
    """Insert the sales HQ does not have yet (by sale id); returns how many were new."""
    location = refs.location
    by_id = {as_uuid(p["id"]): p for p in payloads}
    for known, held_at in session.execute(select(Sale.id, Sale.location_id).where(bulk.among(session, Sale.id,
                                                                                             by_id))):
        if held_at != location.id:
            raise NotYours("id", f"sale {known} is already held at HQ for another store")
        del by_id[known]
    if not by_id:
        return 0
    sales = list(by_id.items())
    _check_owned(session, location, sales)
    terminals = refs.terminals({p["terminal"] for _, p in sales})
    products = refs.products([line for _, p in sales for line in p["lines"]], location.currency)
    refs.cashiers({p["cashier_id"] for _, p in sales})
    refs.customers({p.get("customer_id") for _, p in sales})
    shift_specs = {}
    for _, p in sales:
        shift_specs.setdefault(as_uuid(p["shift_id"]), (terminals[p["terminal"]], as_uuid(p["cashier_id"]),
                                                        p["currency"], when(p["created_at"])))
    refs.shifts(shift_specs)

    baskets, sale_rows, line_rows, vat_rows, payment_rows, movements, events = [], [], [], [], [], [], []
    channel = f"store:{location.code}"
    for sale_id, p in sales:
        at = when(p["created_at"])
        terminal_id, cashier_id = terminals[p["terminal"]], as_uuid(p["cashier_id"])
        customer_id = as_uuid(p["customer_id"]) if p.get("customer_id") else None
        currency = p["currency"]
        basket_id = new_id()  # the store's basket stays at the store; HQ keeps a closed one for the link
        baskets.append((basket_id, terminal_id, cashier_id, "checked_out", customer_id, currency, 0, 0, at, at))
        sale_rows.append((sale_id, terminal_id, location.id, as_uuid(p["shift_id"]), cashier_id, customer_id,
                          basket_id, p["receipt_number"], currency, p["subtotal"], p["discount_total"], p["total"],
                          p["rounding"], p["change"], None, "", p.get("fiscal_status") or "pending",
                          p.get("fiscal_number"), at))
        for line in p["lines"]:
            product_id = products[as_uuid(line["product_id"])]
            line_rows.append((as_uuid(line["id"]), sale_id, line["position"], product_id, line["sku"], line["name"],
                              line["unit"], line["quantity"], line["unit_price"], line["gross"], line["discount"],
                              line["amount"], line["vat_group"], line["vat_rate_bp"], 0, 0))
            if line["sku"] != GIFT_CARD_SKU:  # a gift card sold is no stock
                movements.append((product_id, -line["quantity"], "sale", sale_id, at))
        vat_rows += [(sale_id, v["vat_group"], v["vat_rate_bp"], v["gross"], v["vat"]) for v in p["vat"]]
        payment_rows += [(new_id(), sale_id, position, pay["method"], pay["amount"], pay.get("reference") or "", 0)
                         for position, pay in enumerate(p["payments"], start=1)]
        if customer_id is not None:
            events.append((new_id(), customer_id, at, channel, "sale", str(sale_id),
                           {"total": p["total"], "currency": currency, "receipt_number": p["receipt_number"]}))
    # Parents before children: the foreign keys are checked row by row as each table goes in.
    bulk.write(session, *BASKET, baskets)
    bulk.write(session, *SALE, sale_rows)
    bulk.write(session, *LINE, line_rows)
    bulk.write(session, *VAT, vat_rows)
    bulk.write(session, *PAYMENT, payment_rows)
    ledger.record_many(session, location.id, movements)
    bulk.write(session, *EVENT, events)
    earn_points(session, location, sales, products)
    return len(sales)


def earn_points(session, location, sales: list[tuple], products: dict) -> None:
    """Loyalty points for each new sale with a customer, where it is applied (once per sale id)."""
    for sale_id, p in sales:
        if p.get("customer_id"):
            earn_for_sale(session, sale_id, as_uuid(p["customer_id"]),
                          [(products[as_uuid(line["product_id"])], line["amount"]) for line in p["lines"]],
                          p["currency"], f"store:{location.code}",
                          [(pay["method"], pay["amount"]) for pay in p["payments"]], when(p["created_at"]))


def _check_owned(session, location, sales: list[tuple]) -> None:
    """A new sale may not join another store's shift, nor take a receipt number HQ holds for another sale
    of the same till (a store restored from an old backup numbers again from where the backup was)."""
    foreign_shifts(session, location, {as_uuid(p["shift_id"]) for _, p in sales})
    numbers = {p["receipt_number"] for _, p in sales}
    taken = {(code, number): sale_id for code, number, sale_id in session.execute(
        select(Terminal.code, Sale.receipt_number, Sale.id).join(Terminal, Terminal.id == Sale.terminal_id)
        .where(Terminal.location_id == location.id, bulk.among(session, Sale.receipt_number, numbers)))}
    for sale_id, p in sales:
        key = (p["terminal"], p["receipt_number"])
        if key in taken:
            raise Conflict("receipt_number", f"receipt {key[1]} of till {key[0]} is sale {taken[key]} at HQ "
                                             f"already; this is another sale ({sale_id})")
        taken[key] = sale_id


def foreign_shifts(session, location, shift_ids: set) -> None:
    """Refuse a sale or return that would join a shift HQ holds for another store's till."""
    for shift_id, owner in session.execute(select(Shift.id, Terminal.location_id).join(
            Terminal, Terminal.id == Shift.terminal_id).where(bulk.among(session, Shift.id, shift_ids))):
        if owner != location.id:
            raise NotYours("shift_id", f"shift {shift_id} belongs to another store")
