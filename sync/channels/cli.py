"""`flask channels import-listings CHANNEL FILE.csv` (columns sku,listing_id) and `flask channels run`."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from sync.channels import listings
from sync.channels.accounts import CHANNELS
from sync.stock.availability import Freshness


@click.group("channels", help="Marketplaces: listings, pushes, order pulls, reconciliation.")
def channels_cli():
    pass


@channels_cli.command("import-listings")
@click.argument("channel", type=click.Choice(CHANNELS))
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-bad", is_flag=True, help="Write the good rows and list the bad ones instead of writing nothing.")
@with_appcontext
def import_listings(channel: str, csv_file: str, skip_bad: bool):
    """Map SKUs to CHANNEL's listing ids from CSV_FILE (columns: sku,listing_id).

    Any bad row means nothing is written, unless --skip-bad is given."""
    with open(csv_file, newline="", encoding="utf-8-sig") as handle:
        rows, bad = listings.read_rows(handle)
    with current_app.extensions["pos.db"].unit_of_work() as uow:
        bad += listings.check_against_catalogue(uow.session, channel, rows)
        bad.sort(key=lambda b: b.line)
        for item in bad:
            click.echo(f"{csv_file}:{item.line}: {item.reason}", err=True)
        if bad and not skip_bad:
            raise click.ClickException(f"{len(bad)} bad row(s); nothing was written (use --skip-bad to load the rest)")
        bad_lines = {b.line for b in bad}
        created, updated = listings.import_rows(uow.session, Freshness.from_config(current_app.config), channel,
                                                [r for r in rows if r.line not in bad_lines])
        uow.commit()
    click.echo(f"{created} created, {updated} updated, {len(bad)} skipped")


@channels_cli.command("run")
@click.argument("what", type=click.Choice(["push", "pull", "reconcile"]))
@with_appcontext
def run_once(what: str):
    """One push round, order pull or reconciliation now (the worker does these on its schedule)."""
    from sync.channels.orders import pull_round
    from sync.channels.push import push_round
    from sync.channels.reconcile import reconcile_round

    results = {"push": push_round, "pull": pull_round, "reconcile": reconcile_round}[what](current_app)
    click.echo(json.dumps(results, indent=2, default=str))
