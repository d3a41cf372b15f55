"""`flask staff …`: cashiers and managers of this node, without demo data."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from pos.http import database
from pos.staff.services import save_cashier
from pos.stores.publish import publish_cashier
from pos.terminal.i18n import refuse, say


@click.group("staff", help="Cashiers and managers of this node.")
def staff_cli():
    pass


@staff_cli.command("add")
@click.argument("login")
@click.argument("name")
@click.option("--role", type=click.Choice(["cashier", "manager"]), default="cashier", show_default=True)
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, envvar="POS_STAFF_PIN",
              help="Asked for when left out (never shown); kept only as an argon2 hash.")
@with_appcontext
def staff_add_command(login, name, role, pin):
    """Add LOGIN (or change its name, role and PIN)."""
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise refuse("The PIN must be 4 to 12 digits.")
    with database().unit_of_work() as uow:
        cashier, created = save_cashier(uow.session, login, name, role, pin)
        if current_app.config["POS_ROLE"] == "hq":  # every store learns the login, role and PIN hash
            publish_cashier(uow.session, cashier)
        uow.commit()
    if created:
        say("%(login)s (%(role)s) added.", login=login, role=role)
    else:
        say("%(login)s (%(role)s) changed.", login=login, role=role)
