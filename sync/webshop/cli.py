import click
from flask.cli import with_appcontext

from pos.http import database
from sync.webshop.keys import SCOPES, add_client


@click.group("clients", help="API clients of the web-shop sync API (keys and scopes).")
def clients_cli():
    pass


@clients_cli.command("add")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES),
              help="repeat for several scopes")
@with_appcontext
def add_command(name: str, scopes: tuple):
    """Create client NAME and print its key (shown this once; only its hash is stored)."""
    with database().unit_of_work() as uow:
        try:
            client, key = add_client(uow.session, name, list(scopes))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        uow.commit()
    click.echo(f"client {client.name} ({', '.join(client.scopes)})")
    click.echo(key)
