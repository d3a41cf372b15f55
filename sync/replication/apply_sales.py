"""HQ side: a batch of a store's sales, written with one bulk insert per table."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from pos.customers.models import CustomerEvent
from pos.ids import new_id
from pos.sales.models import Basket, Payment, Sale, SaleLine, SaleVat
from sync.replication import ledger
from sync.replication.references import References, as_uuid


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def apply_sales(session, refs: References, payloads: list[dict]) -> int:
    """Insert the sales HQ does not have yet (by sale id); returns how many were new."""
    by_id = {as_uuid(p["id"]): p for p in payloads}
    for known in session.scalars(select(Sale.id).where(Sale.id.in_(by_id))):
        del by_id[known]
    if not by_id:
        return 0
    sales = list(by_id.items())
    location = refs.location
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
        basket_id = new_id()  # the store's basket stays at the store; HQ keeps a closed one for the link
        baskets.append({"id": basket_id, "terminal_id": terminal_id, "cashier_id": cashier_id,
                        "status": "checked_out", "customer_id": customer_id, "currency": p["currency"],
                        "discount_percent_bp": 0, "discount_amount": 0, "created_at": at, "updated_at": at})
        sale_rows.append({"id": sale_id, "terminal_id": terminal_id, "location_id": location.id,
                          "shift_id": as_uuid(p["shift_id"]), "cashier_id": cashier_id, "customer_id": customer_id,
                          "basket_id": basket_id, "receipt_number": p["receipt_number"], "currency": p["currency"],
                          "subtotal": p["subtotal"], "discount_total": p["discount_total"], "total": p["total"],
                          "rounding": p["rounding"], "change": p["change"], "idempotency_key": None,
                          "request_hash": "", "fiscal_status": p.get("fiscal_status") or "pending",
                          "fiscal_number": p.get("fiscal_number"), "created_at": at})
        for line in p["lines"]:
            product_id = products[as_uuid(line["product_id"])]
            line_rows.append({"id": as_uuid(line["id"]), "sale_id": sale_id, "position": line["position"],
                              "product_id": product_id, "sku": line["sku"], "name": line["name"],
                              "unit": line["unit"], "quantity": line["quantity"], "unit_price": line["unit_price"],
                              "gross": line["gross"], "discount": line["discount"], "amount": line["amount"],
                              "vat_group": line["vat_group"], "vat_rate_bp": line["vat_rate_bp"],
                              "returned_quantity": 0, "returned_amount": 0})
            movements.append((product_id, -line["quantity"], "sale", sale_id, at))
        vat_rows += [{"sale_id": sale_id, "vat_group": v["vat_group"], "vat_rate_bp": v["vat_rate_bp"],
                      "gross": v["gross"], "vat": v["vat"]} for v in p["vat"]]
        payment_rows += [{"id": new_id(), "sale_id": sale_id, "position": position, "method": pay["method"],
                          "amount": pay["amount"], "reference": pay.get("reference") or "", "refunded": 0}
                         for position, pay in enumerate(p["payments"], start=1)]
        if customer_id is not None:
            events.append({"id": new_id(), "customer_id": customer_id, "at": at, "channel": channel, "kind": "sale",
                           "reference": str(sale_id), "details": {"total": p["total"], "currency": p["currency"],
                                                                  "receipt_number": p["receipt_number"]}})
    session.connection().execute(insert(Basket.__table__), baskets)
    session.connection().execute(insert(Sale.__table__), sale_rows)
    session.connection().execute(insert(SaleLine.__table__), line_rows)
    if vat_rows:
        session.connection().execute(insert(SaleVat.__table__), vat_rows)
    if payment_rows:
        session.connection().execute(insert(Payment.__table__), payment_rows)
    ledger.record_many(session, location.id, movements)
    if events:
        session.connection().execute(insert(CustomerEvent.__table__), events)
    return len(sales)
