import click
from flask.cli import with_appcontext

from pos.http import database


@click.group("stock", help="Stock: ledger checks and locations.")
def stock_cli():
    pass


@stock_cli.command("check")
@with_appcontext
def check_command():
    """Check every level against its ledger and every promise against its reservations; exit 1 on a difference."""
    from pos.stock.services import ledger_mismatches, promise_mismatches

    with database().unit_of_work(read_only=True) as uow:
        ledger = ledger_mismatches(uow.session)
        promises = promise_mismatches(uow.session)
    for location_id, product_id, level_value, total in ledger:
        click.echo(f"ledger: location {location_id} product {product_id}: level {level_value}, ledger {total}")
    for location_id, product_id, what, level_value, total in promises:
        click.echo(f"{what}: location {location_id} product {product_id}: level {level_value}, reservations {total}")
    if ledger or promises:
        raise click.ClickException(f"{len(ledger) + len(promises)} difference(s)")
    click.echo("stock levels equal the ledger; reserved and committed equal the open reservations")


@stock_cli.command("add-location")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice(["store", "warehouse"]), default="warehouse")
@with_appcontext
def add_location_command(code: str, name: str, kind: str):
    """Add a warehouse (or another store) that holds stock, in this node's country and currency."""
    from flask import current_app
    from sqlalchemy import select

    from pos.countries import country
    from pos.stores.models import Location

    rules = country(current_app.config["POS_COUNTRY"])
    with database().unit_of_work() as uow:
        if uow.session.scalars(select(Location).where(Location.code == code)).first():
            raise click.ClickException(f"location {code} exists")
        uow.session.add(Location(code=code, name=name, kind=kind, country=rules.code, currency=rules.currency))
        uow.commit()
    click.echo(f"{kind} {code} added")
