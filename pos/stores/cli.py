"""`flask stores …` on HQ: register stores, issue and revoke their sync tokens, seed the stores' feed."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select, update

from pos.countries import country as country_rules
from pos.http import database
from pos.staff.services import save_cashier
from pos.stores.auth import issue_token
from pos.stores.models import Location, StoreContact, StoreToken
from pos.stores.publish import publish_cashier, publish_snapshot


@click.group("stores", help="HQ: the chain's stores and their sync tokens.")
def stores_cli():
    pass


def _location(session, code: str) -> Location:
    location = session.scalars(select(Location).where(Location.code == code)).one_or_none()
    if location is None:
        raise click.ClickException(f"no store {code!r}")
    return location


@stores_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--country", default="PL", show_default=True, help="PL, CZ or UA: currency and VAT follow it.")
@click.option("--address", default="")
@click.option("--tax-id", default="")
@with_appcontext
def add_command(code: str, name: str, country: str, address: str, tax_id: str):
    """Register store CODE and print its sync token (shown once: HQ keeps only a hash)."""
    rules = country_rules(country)
    with database().unit_of_work() as uow:
        if uow.session.scalar(select(Location.id).where(Location.code == code)) is not None:
            raise click.ClickException(f"store {code!r} exists; use `flask stores token {code}` for a new token")
        location = Location(code=code, name=name, kind="store", country=rules.code, currency=rules.currency,
                            address=address, tax_id=tax_id)
        uow.session.add(location)
        uow.session.flush()
        uow.session.add(StoreContact(location_id=location.id))
        token = issue_token(uow.session, location)
        uow.commit()
    click.echo(f"Store {code} registered ({rules.code}, {rules.currency}).  Configure the store node with:")
    click.echo(f"POS_STORE_TOKEN={token}")


@stores_cli.command("token")
@click.argument("code")
@click.option("--revoke-others", is_flag=True,
              help="rotate at once: every earlier token of CODE is refused from now on")
@with_appcontext
def token_command(code: str, revoke_others: bool):
    """Issue another token for CODE (rotation); revoke the old one when the store uses the new one."""
    with database().unit_of_work() as uow:
        location = _location(uow.session, code)
        revoked = _revoke_tokens(uow.session, location) if revoke_others else 0
        token = issue_token(uow.session, location)
        uow.commit()
    if revoke_others:
        click.echo(f"{revoked} earlier token(s) revoked; set the new one at the store now")
    click.echo(f"POS_STORE_TOKEN={token}")


def _revoke_tokens(session, location: Location) -> int:
    return session.execute(update(StoreToken).where(
        StoreToken.location_id == location.id, StoreToken.revoked.is_(False)).values(revoked=True)).rowcount


@stores_cli.command("revoke")
@click.argument("code")
@with_appcontext
def revoke_command(code: str):
    """Revoke every token of CODE: its pushes and pulls are refused from now on."""
    with database().unit_of_work() as uow:
        revoked = _revoke_tokens(uow.session, _location(uow.session, code))
        uow.commit()
    click.echo(f"{revoked} token(s) revoked")


@stores_cli.command("list")
@with_appcontext
def list_command():
    with database().unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(select(Location, StoreContact).outerjoin(
            StoreContact, StoreContact.location_id == Location.id).where(Location.kind == "store")
            .order_by(Location.code)).all()
        for location, contact in rows:
            seen = contact.last_seen_at.isoformat() if contact and contact.last_seen_at else "never"
            click.echo(f"{location.code}\t{location.name}\t{location.country}\tlast heard from: {seen}")


@stores_cli.command("publish")
@with_appcontext
def publish_command():
    """Put the whole catalogue and all cashiers in the stores' feed (first setup, or after bulk SQL)."""
    with database().unit_of_work() as uow:
        products, cashiers = publish_snapshot(uow.session)
        uow.commit()
    click.echo(f"{products} product(s) and {cashiers} cashier(s) published to the stores")


@stores_cli.command("cashier")
@click.argument("login")
@click.argument("name")
@click.option("--role", type=click.Choice(["cashier", "manager"]), default="cashier", show_default=True)
@click.option("--pin", prompt=True, hide_input=True)
@with_appcontext
def cashier_command(login: str, name: str, role: str, pin: str):
    """Add or change a cashier at HQ; every store learns the login, role and PIN (as a hash)."""
    with database().unit_of_work() as uow:
        cashier, _ = save_cashier(uow.session, login, name, role, pin)
        publish_cashier(uow.session, cashier)
        uow.commit()
    click.echo(f"cashier {login} ({role}) saved and published")
