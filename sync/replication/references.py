"""HQ side: the rows a store's facts point at, found or stood in for.

A store's sale names its terminal, cashier, shift, products and customer.  HQ knows most of them (its
catalogue and cashiers are what the store pulled); where it does not — a terminal set up at the store, a
shift still open there, a product the store added itself — a stand-in row keeps the foreign key, and
the real data overwrites it when it arrives.  Never refusing a batch for this keeps a store's queue moving."""
from __future__ import annotations

import uuid

from sqlalchemy import insert, select

from pos.catalogue.models import Product
from pos.countries import country as country_rules
from pos.customers.models import Customer
from pos.db import utcnow
from pos.ids import new_id
from pos.shifts.models import Shift
from pos.staff.models import Cashier
from pos.stores.models import Terminal
from pos.text import search_key
from sync.replication.bulk import among


def as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class References:
    def __init__(self, session, location):
        self.session = session
        self.location = location

    def terminals(self, codes: set[str]) -> dict[str, uuid.UUID]:
        found = dict(self.session.execute(select(Terminal.code, Terminal.id).where(
            Terminal.location_id == self.location.id, among(self.session, Terminal.code, codes))).all())
        missing = [{"id": new_id(), "location_id": self.location.id, "code": code,
                    "language": country_rules(self.location.country).language, "last_receipt_number": 0,
                    "last_day_report_number": 0, "printer_url": "", "fiscal_url": "", "display_url": "",
                    "scanner_url": ""} for code in sorted(codes - found.keys())]
        if missing:
            self.session.connection().execute(insert(Terminal.__table__), missing)
            found.update({row["code"]: row["id"] for row in missing})
        return found

    def products(self, lines: list[dict], currency: str) -> dict[uuid.UUID, uuid.UUID]:
        """The store's product id → HQ's product id (the same id, or HQ's product with that SKU)."""
        by_text = {str(line["product_id"]): line for line in lines}  # a batch names the same few products often
        wanted = {as_uuid(text): line for text, line in by_text.items()}
        mapping = {pid: pid for pid in self.session.scalars(
            select(Product.id).where(among(self.session, Product.id, wanted)))}
        by_sku = {line["sku"]: pid for pid, line in wanted.items() if pid not in mapping}
        if by_sku:
            for sku, hq_id in self.session.execute(
                    select(Product.sku, Product.id).where(among(self.session, Product.sku, by_sku))):
                mapping[by_sku[sku]] = hq_id
        stand_ins = [{"id": pid, "sku": line["sku"], "name": line["name"], "search_name": search_key(line["name"]),
                      "unit": line["unit"], "vat_group": line["vat_group"], "price": line["unit_price"],
                      "currency": currency, "plu": None, "active": False, "updated_at": utcnow()}
                     for pid, line in wanted.items() if pid not in mapping]
        if stand_ins:
            self.session.connection().execute(insert(Product.__table__), stand_ins)
            mapping.update({row["id"]: row["id"] for row in stand_ins})
        return mapping

    def cashiers(self, ids: set) -> None:
        ids = {as_uuid(i) for i in ids}
        known = set(self.session.scalars(select(Cashier.id).where(among(self.session, Cashier.id, ids))))
        stand_ins = [{"id": i, "login": f"{self.location.code}:{i}", "name": f"cashier of {self.location.code}",
                      "role": "cashier", "pin_hash": "!", "failed_pins": 0, "active": False}
                     for i in sorted(ids - known, key=str)]
        if stand_ins:
            self.session.connection().execute(insert(Cashier.__table__), stand_ins)

    def customers(self, ids: set) -> None:
        ids = {as_uuid(i) for i in ids if i}
        if not ids:
            return
        known = set(self.session.scalars(select(Customer.id).where(among(self.session, Customer.id, ids))))
        now = utcnow()
        stand_ins = [{"id": i, "name": "", "origin": f"store:{self.location.code}", "created_at": now,
                      "updated_at": now, "marketing_email": False, "marketing_sms": False}
                     for i in sorted(ids - known, key=str)]
        if stand_ins:
            self.session.connection().execute(insert(Customer.__table__), stand_ins)

    def shifts(self, specs: dict) -> None:
        """specs: shift id → (terminal id, cashier id, currency, first seen at).  An unknown shift is open
        at the store; its close (with the count) arrives later and fills it in."""
        known = set(self.session.scalars(select(Shift.id).where(among(self.session, Shift.id, specs))))
        stand_ins = [{"id": sid, "terminal_id": t, "cashier_id": c, "currency": cur, "status": "open",
                      "opening_float": 0, "opened_at": at}
                     for sid, (t, c, cur, at) in specs.items() if sid not in known]
        if stand_ins:
            self.session.connection().execute(insert(Shift.__table__), stand_ins)
