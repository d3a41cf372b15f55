from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from pos.catalogue.importer import check_against_catalogue, read_rows, write_rows
from pos.http import database, settings
from pos.stores.models import Location


@click.group("catalog", help="Products: import and update the catalogue.")
def catalog_cli():
    pass


@catalog_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-bad", is_flag=True, help="Write the good rows and list the bad ones instead of writing nothing.")
@with_appcontext
def import_command(csv_file: str, skip_bad: bool):
    """Load or update products from CSV_FILE (columns: sku,name,unit,vat_group,price,barcodes,plu).

    Any bad row means nothing is written, unless --skip-bad is given."""
    country = settings().country
    with open(csv_file, newline="", encoding="utf-8-sig") as handle:
        rows, bad = read_rows(handle, country.vat_rates)
    with database().unit_of_work() as uow:
        bad += check_against_catalogue(uow.session, rows)
        bad.sort(key=lambda b: b.line)
        for item in bad:
            click.echo(f"{csv_file}:{item.line}: {item.reason}", err=True)
        if bad and not skip_bad:
            raise click.ClickException(f"{len(bad)} bad row(s); nothing was written (use --skip-bad to load the rest)")
        bad_lines = {b.line for b in bad}
        rows = [r for r in rows if r.line not in bad_lines]
        location = uow.session.query(Location).filter_by(code=current_app.config["POS_STORE_CODE"]).one_or_none()
        currency = location.currency if location else country.currency
        with click.progressbar(length=len(rows), label="Importing products") as bar:
            created, updated = write_rows(uow.session, rows, currency, progress=bar.update)
        uow.commit()
    click.echo(f"{created} created, {updated} updated, {len(bad)} skipped")
