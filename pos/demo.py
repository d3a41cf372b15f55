"""`flask demo load`: a store a new user can sell in at once.  Demo credentials only."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from pos.catalogue.generator import demo_products
from pos.catalogue.importer import write_rows
from pos.catalogue.models import Product
from pos.countries import country
from pos.http import database
from pos.staff.models import Cashier
from pos.staff.services import hash_pin
from pos.stock.services import record_movements
from pos.stores.services import ensure_store, ensure_terminal

# Logins and PINs are the same everywhere (the README gives them); the names are the country's.
DEMO_CASHIERS = (("demo", "cashier", "1234"), ("boss", "manager", "9999"))
DEMO_NAMES = {"PL": ("Anna Kowalska", "Piotr Nowak"), "CZ": ("Jana Nováková", "Petr Svoboda"),
              "UA": ("Олена Шевченко", "Андрій Коваленко")}


def load_demo(session, config: dict, product_count: int = 5000) -> bool:
    """Returns False (and changes nothing) when the demo is already loaded."""
    if session.scalar(select(Cashier.id).where(Cashier.login == "demo")) is not None:
        return False
    location = ensure_store(session, config)
    # T1 prints to the virtual printer and fiscalises on the POSNET emulator (a Ukrainian store: on the
    # Checkbox emulator, the PRRO in software); their state (job files with PNGs, the fiscal memory, the
    # PRRO's offline book) lives under POS_DEVICE_DIR so a restart keeps the day's receipts.
    devices = Path(config["POS_DEVICE_DIR"]) / "T1"
    fiscal = "checkbox" if location.country == "UA" else "posnet"
    ensure_terminal(session, location, "T1",
                    printer_url=f"emulator://printer?dir={devices / 'printer-jobs'}&png=1",
                    fiscal_url=f"emulator://{fiscal}?memory={devices / 'fiscal-memory.json'}",
                    display_url="emulator://display", scanner_url="", scale_url="emulator://scale?grams=1250")
    ensure_terminal(session, location, "T2", printer_url="emulator://printer")
    for (login, role, pin), name in zip(DEMO_CASHIERS, DEMO_NAMES.get(location.country, DEMO_NAMES["PL"])):
        session.add(Cashier(login=login, name=name, role=role, pin_hash=hash_pin(pin)))
    rows = demo_products(product_count, country(config["POS_COUNTRY"]).vat_rates, country=location.country)
    write_rows(session, rows, location.currency)
    products = session.execute(select(Product.id, Product.unit)).all()
    # Opening stock: a goods receipt, so levels start from the ledger like everything else.
    record_movements(session, location.id, [(pid, 50_000 if unit == "kg" else 100) for pid, unit in products],
                     "receipt")
    return True


@click.group("demo", help="Demo data (demo credentials: cashier demo/1234, manager boss/9999).")
def demo_cli():
    pass


@demo_cli.command("load")
@click.option("--products", default=5000, show_default=True, help="How many demo products.")
@with_appcontext
def load_command(products: int):
    """Load the demo store, terminals, cashiers and products once; a second run changes nothing."""
    with database().unit_of_work() as uow:
        loaded = load_demo(uow.session, current_app.config, products)
        uow.commit()
    click.echo("Demo data loaded." if loaded else "Demo data already present; nothing changed.")
