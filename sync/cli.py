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
