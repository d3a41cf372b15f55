import click
from flask import current_app
from flask.cli import with_appcontext

from sync.worker import run_once


@click.group("sync", help="Background jobs: replication, stock, marketplaces.")
def sync_cli():
    pass


@sync_cli.command("once")
@with_appcontext
def once_command():
    """Run every due sync job one time and exit."""
    for line in run_once(current_app._get_current_object()):
        click.echo(line)


@sync_cli.command("availability")
@click.option("--full", is_flag=True, help="Recompute every channel and SKU, not only what moved.")
@with_appcontext
def availability_command(full):
    """Publish available-to-sell now (the worker does it every round); sales go on meanwhile."""
    from sync.stock.jobs import publish_availability

    click.echo(publish_availability(current_app._get_current_object(), full=full))
