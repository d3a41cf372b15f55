"""`flask loyalty …`: the programme's rules, product groups, a customer's balance and card link."""
from __future__ import annotations

import json
import uuid

import click
from flask.cli import with_appcontext
from sqlalchemy import select, update

from pos.catalogue.models import Product
from pos.http import database
from pos.loyalty import services
from pos.loyalty.cards import card_token
from pos.staff.models import AuditEntry
from pos.terminal.i18n import refuse, say


@click.group("loyalty", help="The loyalty programme: rules, product groups, balances, card links.")
def loyalty_cli():
    pass


@loyalty_cli.command("show")
@with_appcontext
def show_command():
    """The programme's rules as JSON."""
    with database().unit_of_work(read_only=True) as uow:
        click.echo(json.dumps(services.programme_json(services.programme(uow.session)), indent=2))


def _pair(text: str, what: str) -> tuple[str, int]:
    name, _, number = text.rpartition(":")
    if not name or not number.isdigit():
        raise refuse("%(what)s: write NAME:NUMBER, e.g. %(example)s", what=what,
                     example="dairy:20000" if what == "--group" else "Silver:500:12000")
    return name, int(number)


@loyalty_cli.command("set")
@click.option("--name", default=None)
@click.option("--points-per-unit", type=int, default=None, help="points per whole currency unit paid")
@click.option("--point-value", type=int, default=None, help="minor units one point pays")
@click.option("--rolling-days", type=int, default=None, help="the tiers' period in days")
@click.option("--active/--inactive", default=None)
@click.option("--group", "groups", multiple=True, help="GROUP:BASIS_POINTS, e.g. dairy:20000 (2×); repeat")
@click.option("--tier", "tiers", multiple=True, help="NAME:THRESHOLD:BASIS_POINTS, e.g. Silver:500:12000; repeat")
@with_appcontext
def set_command(name, points_per_unit, point_value, rolling_days, active, groups, tiers):
    """Change the rules (what is left out stays); written to the audit log."""
    with database().unit_of_work() as uow:
        current = services.programme_json(services.programme(uow.session)) or {
            "name": "", "active": True, "points_per_unit": 1, "point_value": 1, "rolling_days": 365,
            "group_multipliers": {}, "tiers": []}
        given = {"name": name, "points_per_unit": points_per_unit, "point_value": point_value,
                 "rolling_days": rolling_days, "active": active}
        values = {**current, **{k: v for k, v in given.items() if v is not None}}
        if groups:
            values["group_multipliers"] = dict(_pair(g, "--group") for g in groups)
        if tiers:
            parsed = []
            for text in tiers:
                head, multiplier = _pair(text, "--tier")
                tier, threshold = _pair(head, "--tier")
                parsed.append({"name": tier, "threshold": threshold, "multiplier_bp": multiplier})
            values["tiers"] = parsed
        try:
            _, changed = services.configure(uow.session, values)
        except services.LoyaltyError as error:
            raise refuse("Refused: %(detail)s. Nothing was changed.", detail=str(error)) from None
        uow.session.add(AuditEntry(action="loyalty_programme", subject="loyalty programme",
                                   details={"changed": changed, "via": "cli"}))
        uow.commit()
    say("The loyalty programme is saved.")


@loyalty_cli.command("group")
@click.argument("group")
@click.argument("skus", nargs=-1, required=True)
@with_appcontext
def group_command(group, skus):
    """Put the products SKUS in product GROUP ("-" takes them out of any group)."""
    with database().unit_of_work() as uow:
        known = set(uow.session.scalars(select(Product.sku).where(Product.sku.in_(skus))))
        unknown = sorted(set(skus) - known)
        if unknown:
            raise refuse("No product %(sku)s; nothing was changed.", sku=", ".join(unknown))
        uow.session.execute(update(Product).where(Product.sku.in_(skus)).values(
            product_group="" if group == "-" else group[:64]))
        uow.commit()
    say("%(count)s products are in group %(group)s.", count=len(known), group=group)


@loyalty_cli.command("balance")
@click.argument("customer_id", type=click.UUID)
@with_appcontext
def balance_command(customer_id: uuid.UUID):
    """A customer's balance, tier and latest entries as JSON."""
    with database().unit_of_work(read_only=True) as uow:
        try:
            click.echo(json.dumps(services.summary(uow.session, customer_id), indent=2))
        except services.LoyaltyError as error:
            raise refuse("Refused: %(detail)s. Nothing was changed.", detail=str(error)) from None


@loyalty_cli.command("card-link")
@click.argument("customer_id", type=click.UUID)
@click.option("--base-url", default="", help="the node's public address, e.g. https://shop.example")
@with_appcontext
def card_link_command(customer_id: uuid.UUID, base_url: str):
    """The signed link to the customer's card page (send it to their phone)."""
    click.echo(f"{base_url.rstrip('/')}/loyalty/card/{card_token(customer_id)}")
