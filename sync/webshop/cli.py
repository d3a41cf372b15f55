import click
from flask.cli import with_appcontext
from sqlalchemy import select

from pos.http import database
from sync.webshop.keys import SCOPES, add_client, revoke_client, rotate_key
from sync.webshop.models import ApiClient


@click.group("clients", help="API clients of the web-shop sync API (keys and scopes).")
def clients_cli():
    pass


def _committed(change, *args):
    """Run one change to the clients in its own transaction; a refusal is the operator's error message."""
    with database().unit_of_work() as uow:
        try:
            result = change(uow.session, *args)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        uow.commit()
    return result


@clients_cli.command("add")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES),
              help="repeat for several scopes")
@with_appcontext
def add_command(name: str, scopes: tuple):
    """Create client NAME and print its key (shown this once; only its hash is stored)."""
    client, key = _committed(add_client, name, list(scopes))
    click.echo(f"client {client.name} ({', '.join(client.scopes)})")
    click.echo(key)


@clients_cli.command("rotate")
@click.argument("name")
@with_appcontext
def rotate_command(name: str):
    """Give client NAME a new key (shown this once); the old key is refused from now on."""
    client, key = _committed(rotate_key, name)
    click.echo(f"client {client.name}: new key below; the old key no longer works")
    click.echo(key)


@clients_cli.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_command(name: str):
    """Cut client NAME off: its key is refused from the next request (`rotate` gives it a new one)."""
    client = _committed(revoke_client, name)
    click.echo(f"client {client.name} revoked; its key is refused from now on")


@clients_cli.command("list")
@with_appcontext
def list_command():
    """Every client: name, key prefix, scopes, active or revoked."""
    with database().unit_of_work(read_only=True) as uow:
        for client in uow.session.scalars(select(ApiClient).order_by(ApiClient.name)):
            state = "active" if client.active else "revoked"
            click.echo(f"{client.name}\t{client.key_prefix}…\t{','.join(client.scopes)}\t{state}")
