"""`flask coupons …`: product groups, campaigns, code batches (CSV) and incidents, from the command line."""
from __future__ import annotations

import csv
import datetime as dt

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pos.catalogue.models import Product
from pos.coupons import rules, services
from pos.coupons.models import CouponIncident
from pos.http import database, settings
from pos.problems import ApiProblem
from pos.stores.publish import product_payload
from pos.feed.services import record_change


@click.group("coupons", help="Coupons: product groups, campaigns, batches of single-use codes, incidents.")
def coupons_cli():
    pass


def _refused(problem: ApiProblem):
    raise click.ClickException(problem.detail)


@coupons_cli.command("group")
@click.argument("group")
@click.argument("skus", nargs=-1, required=True)
@with_appcontext
def group_command(group: str, skus: tuple[str, ...]):
    """Put products SKUS in product GROUP (what campaigns' rules name); '' takes them out of any group."""
    if len(group) > 32:
        raise click.ClickException("a product group is at most 32 characters")
    with database().unit_of_work() as uow:
        products = list(uow.session.scalars(select(Product).options(selectinload(Product.barcodes))
                                            .where(Product.sku.in_(skus))))
        missing = sorted(set(skus) - {p.sku for p in products})
        if missing:
            raise click.ClickException(f"no product {', '.join(missing)}; nothing was changed")
        for product in products:
            product.product_group = group
            uow.session.flush()
            record_change(uow.session, "product", product.id, product_payload(product), op="upserted")  # to stores
        uow.commit()
    click.echo(f"{len(products)} product(s) in group {group!r}")


@coupons_cli.command("campaign")
@click.argument("name")
@click.option("--percent", type=float, help="percent off, e.g. 10 or 12.5")
@click.option("--amount", type=int, help="amount off in minor units (grosz, haléř, kopiyka)")
@click.option("--min-basket", type=int, default=0, show_default=True, help="minimum of the goods it applies to, minor units")
@click.option("--group", "groups", multiple=True, help="a product group it applies to (repeat; none: all goods)")
@click.option("--per-customer", type=int, help="uses per customer")
@click.option("--from", "valid_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--until", "valid_until", type=click.DateTime(["%Y-%m-%d"]), required=True, help="last valid day")
@click.option("--code", "shared_code", help="a campaign code everyone may use (e.g. SPRING10)")
@with_appcontext
def campaign_command(name, percent, amount, min_basket, groups, per_customer, valid_from, valid_until, shared_code):
    """Create campaign NAME."""
    utc = dt.timezone.utc
    with database().unit_of_work() as uow:
        try:
            campaign = services.create_campaign(
                uow.session, name=name, currency=settings().country.currency,
                percent_bp=round(percent * 100) if percent else 0, amount=amount or 0, min_basket=min_basket,
                product_groups=groups, per_customer_limit=per_customer, valid_from=valid_from.replace(tzinfo=utc),
                valid_until=valid_until.replace(tzinfo=utc) + dt.timedelta(days=1), shared_code=shared_code)
        except ApiProblem as problem:
            _refused(problem)
        uow.commit()
        click.echo(f"campaign {campaign.id} {campaign.name}")


@coupons_cli.command("issue")
@click.argument("campaign_id", type=click.UUID)
@click.argument("size", type=int)
@click.option("--store", help="allocate to this store: it may redeem them while cut off from HQ")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="CSV file (default: stdout)")
@with_appcontext
def issue_command(campaign_id, size, store, output):
    """Issue SIZE single-use codes of CAMPAIGN_ID and write them as CSV (code, campaign, valid_until, store)."""
    with database().unit_of_work() as uow:
        try:
            batch, codes = services.issue_batch(uow.session, campaign_id, size, store_code=store, issued_by="cli")
        except ApiProblem as problem:
            _refused(problem)
        campaign = services.get_campaign(uow.session, campaign_id)
        uow.commit()
        writer = csv.writer(output)
        writer.writerow(["code", "campaign", "valid_until", "store"])
        for code in codes:
            writer.writerow([rules.printable(code), campaign.name, campaign.valid_until.date().isoformat(), store or ""])
    click.echo(f"batch {batch.id}: {size} code(s)", err=True)


@coupons_cli.command("incidents")
@with_appcontext
def incidents_command():
    """Open incidents: offline redemptions past a customer's limit, single-use codes used twice."""
    with database().unit_of_work(read_only=True) as uow:
        for incident in uow.session.scalars(select(CouponIncident).where(CouponIncident.status == "open")
                                            .order_by(CouponIncident.created_at)):
            click.echo(f"{incident.id} {incident.kind} {rules.printable(incident.code)}: {incident.detail}")
