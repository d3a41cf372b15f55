"""`flask store …`: set up this node's own store and tills without demo data, and start a new epoch after
the database was restored from a backup.  (`flask stores …` is HQ's register of the chain's stores.)"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from pos.feed.models import Change
from pos.http import database
from pos.stores import epochs
from pos.stores.models import SyncCursor, Terminal
from pos.stores.services import StoreExists, UnknownStore, add_terminal, create_location
from pos.terminal.i18n import LANGUAGES, refuse, say


@click.group("store", help="This node's own store: create it, its tills, and check it after a restore.")
def store_cli():
    pass


@store_cli.command("create")
@click.argument("code", required=False)
@click.argument("name", required=False)
@click.option("--country", default=None, help="PL, CZ or UA (default POS_COUNTRY): currency and VAT follow it.")
@click.option("--kind", type=click.Choice(["store", "warehouse"]), default="store", show_default=True)
@click.option("--address", default=None)
@click.option("--tax-id", default=None)
@with_appcontext
def create_command(code, name, country, kind, address, tax_id):
    """Create location CODE (default POS_STORE_CODE) named NAME (default POS_STORE_NAME)."""
    config = current_app.config
    code, name = code or config["POS_STORE_CODE"], name or config["POS_STORE_NAME"]
    with database().unit_of_work() as uow:
        try:
            location = create_location(uow.session, code, name, country or config["POS_COUNTRY"], kind,
                                       config["POS_STORE_ADDRESS"] if address is None else address,
                                       config["POS_STORE_TAX_ID"] if tax_id is None else tax_id)
        except StoreExists:
            raise refuse("Location %(code)s exists already; add tills with `flask store terminal add`.",
                         code=code) from None
        epochs.ensure_epoch(uow.session)  # the database's first life starts with its store
        uow.commit()
    say("Location %(code)s (%(country)s, %(currency)s) created. Next: `flask store terminal add T1`, then "
        "`flask staff add LOGIN NAME`.", code=location.code, country=location.country, currency=location.currency)


@store_cli.group("terminal", help="The store's tills.")
def terminal_cli():
    pass


@terminal_cli.command("add")
@click.argument("code")
@click.option("--store", "store_code", default=None, help="The location's code (default POS_STORE_CODE).")
@click.option("--language", type=click.Choice(LANGUAGES), default=None, help="Default: the store's country's.")
@click.option("--printer", default="", help="Receipt printer URL (see Devices).")
@click.option("--fiscal", default="", help="Fiscal printer URL.")
@click.option("--display", default="", help="Customer display URL.")
@click.option("--scanner", default="", help="Serial scanner URL.")
@with_appcontext
def terminal_add_command(code, store_code, language, printer, fiscal, display, scanner):
    """Add till CODE at the store."""
    store_code = store_code or current_app.config["POS_STORE_CODE"]
    with database().unit_of_work() as uow:
        try:
            terminal, created = add_terminal(uow.session, store_code, code, language, printer_url=printer,
                                             fiscal_url=fiscal, display_url=display, scanner_url=scanner)
        except UnknownStore:
            raise refuse("No location %(store)s: create it first with `flask store create`.",
                         store=store_code) from None
        uow.commit()
    if created:
        say("Till %(code)s added at %(store)s.", code=terminal.code, store=store_code)
    else:
        say("Till %(code)s exists already at %(store)s; nothing changed.", code=terminal.code, store=store_code)


@store_cli.command("restore-check")
@with_appcontext
def restore_check_command():
    """Run after restoring this store's database from a backup (or reinstalling it): start a new epoch.
    The tills refuse to sell until HQ has answered for it (`flask sync once`) or a manager allows selling
    offline, so no receipt number HQ already holds is issued again."""
    with database().unit_of_work() as uow:
        session = uow.session
        previous = epochs.current_epoch(session)
        epoch = epochs.start_epoch(session, "restored")
        seq = session.scalar(select(func.max(Change.seq))) or 0
        pushed = session.get(SyncCursor, "push")
        numbers = session.execute(select(Terminal.code, Terminal.last_receipt_number).order_by(Terminal.code)).all()
        uow.commit()
    say("New epoch %(epoch)s (the previous one was %(previous)s).", epoch=str(epoch.id),
        previous=str(previous.id) if previous else "-")
    say("This database: feed at %(seq)s, sent to head office through %(pushed)s; last receipt numbers: "
        "%(numbers)s.", seq=seq, pushed=pushed.position if pushed else 0,
        numbers=", ".join(f"{code} {number}" for code, number in numbers) or "-")
    say("Selling is stopped until head office answers: run `flask sync once` now (or start the worker). "
        "If head office cannot be reached, a manager may allow selling offline on the till.")


@store_cli.command("epoch")
@with_appcontext
def epoch_command():
    """Show this database's epoch and whether the tills may sell."""
    with database().unit_of_work(read_only=True) as uow:
        epoch = epochs.current_epoch(uow.session)
    if epoch is None:
        say("No epoch yet: the first contact with head office starts one.")
        return
    say("Epoch %(epoch)s (%(reason)s), started %(started)s; confirmed by head office: %(confirmed)s; "
        "selling offline allowed: %(offline)s.", epoch=str(epoch.id), reason=epoch.reason,
        started=epoch.started_at.isoformat(), confirmed=epoch.confirmed_at.isoformat() if epoch.confirmed_at
        else "-", offline=epoch.offline_at.isoformat() if epoch.offline_at else "-")
