"""`flask devices …`: see and set each till's devices by URL, checked by connecting."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from hardware.device import DeviceError
from pos.devices.configuration import FIELDS, check_by_connecting, set_device, terminal_of, validate_url
from pos.http import database, settings
from pos.problems import ApiProblem
from pos.stores.models import Location, Terminal


@click.group("devices", help="This store's tills and their devices (fiscal, printer, display, scanner, scale).")
def devices_cli():
    pass


@devices_cli.command("list")
@with_appcontext
def list_command():
    """Each till's device URLs."""
    with database().unit_of_work(read_only=True) as uow:
        terminals = uow.session.scalars(
            select(Terminal).join(Location, Location.id == Terminal.location_id)
            .where(Location.code == current_app.config["POS_STORE_CODE"]).order_by(Terminal.code)).all()
        for terminal in terminals:
            for name, field in FIELDS.items():
                click.echo(f"{terminal.code}\t{name}\t{getattr(terminal, field) or '-'}")


@devices_cli.command("set")
@click.argument("terminal")
@click.argument("name", type=click.Choice(list(FIELDS)))
@click.argument("url")
@click.option("--no-check", is_flag=True,
              help="Keep the URL without opening the device (e.g. while the web server holds the port).")
@with_appcontext
def set_command(terminal: str, name: str, url: str, no_check: bool):
    """Set TERMINAL's NAME device to URL ('' for none).  The device is opened first and the URL kept only if
    it works; the running web server picks the change up on the till's next request."""
    store = current_app.config["POS_STORE_CODE"]
    with database().unit_of_work() as uow:
        try:
            row = terminal_of(uow.session, store, terminal)
        except ApiProblem as problem:
            raise click.ClickException(problem.detail) from None
        if url:
            try:
                validate_url(name, url)
            except DeviceError as error:
                raise click.ClickException(f"{error.message} {error.action} Nothing was changed.") from None
        if url and not no_check:
            try:
                check_by_connecting(row, name, url, country=settings().country.code,
                                    expected_vat=settings().country.vat_rates,
                                    device_dir=current_app.config["POS_DEVICE_DIR"],
                                    allow_real_devices=bool(current_app.config["POS_ALLOW_REAL_DEVICES"]))
            except DeviceError as error:
                raise click.ClickException(f"{error.message} {error.action} Nothing was changed.") from None
        change = set_device(uow.session, row, name, url)
        uow.commit()
    click.echo(f"{terminal} {name}: {change['before'] or '-'} -> {url or '-'}"
               + ("" if not url or no_check else " (checked)"))
