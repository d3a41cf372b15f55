"""`flask promises list|show|apply|dismiss` on HQ: units HQ promised that a store's own sales took."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from pos.http import database
from pos.problems import ApiProblem
from pos.schemas import Approval
from pos.staff.services import PinRejected, approve
from sync.promises import services
from sync.promises.services import PromiseError, ProposalChanged
from sync.quarantine.cli import _count_wrong_pin, manager_option, pin_option, say
from sync.stock.availability import Freshness


@click.group("promises", help="HQ: promise conflicts (a store sold units HQ had promised); apply or dismiss.")
def promises_cli():
    pass


def _step_text(step: dict) -> str:
    if step["action"] == "re-source":
        return say("re-source %(quantity)s of reservation %(reference)s (%(channel)s) from %(source)s to %(target)s",
                   quantity=step["quantity"], reference=step["reference"], channel=step["channel"],
                   source=step["from"], target=step["to"])
    return say("cancel reservation %(reference)s (%(channel)s, %(quantity)s at %(source)s)",
               reference=step["reference"], channel=step["channel"], quantity=step["quantity"], source=step["from"])


@promises_cli.command("list")
@click.option("--status", type=click.Choice(["open", "applied", "dismissed", "settled", "all"]), default="open",
              show_default=True)
@click.option("--store", default=None, help="only this store's conflicts")
@click.option("--limit", default=200, show_default=True)
@with_appcontext
def list_command(status: str, store: str | None, limit: int):
    """One line per conflict: id, store, SKU, units short, status and the proposal."""
    with database().unit_of_work(read_only=True) as uow:
        rows = services.listed(uow.session, None if status == "all" else status, store, limit)
        for conflict, code in rows:
            steps = "; ".join(_step_text(step) for step in conflict.proposal.get("steps", []))
            click.echo(f"{conflict.id}  {code}  {conflict.sku}  "
                       + say("%(short)s short", short=conflict.short) + f"  {conflict.status}  {steps}")
        counts = services.counts(uow.session)
    click.echo(say("%(listed)s listed; open %(open)s.  Next: `flask promises show ID`, then apply or dismiss it.",
                   listed=len(rows), open=counts.get("open", 0)))


@promises_cli.command("show")
@click.argument("conflict_id", type=click.UUID)
@with_appcontext
def show_command(conflict_id):
    """The conflict with the reservations affected and the proposal (JSON)."""
    with database().unit_of_work(read_only=True) as uow:
        try:
            conflict, store = services.get(uow.session, conflict_id)
        except PromiseError as exc:
            raise click.ClickException(say("%(problem)s.  Next: `flask promises list --status all`.",
                                           problem=exc)) from None
        click.echo(json.dumps(services.conflict_json(conflict, store), indent=2, ensure_ascii=False))


@promises_cli.command("apply")
@click.argument("conflict_id", type=click.UUID)
@click.option("--note", default="", help="why (kept in the audit log)")
@manager_option
@pin_option
@with_appcontext
def apply_command(conflict_id, note: str, manager: str, pin: str):
    """Carry out the proposal (re-source or cancel the reservations it names)."""
    def work(uow):
        try:
            conflict, store, locked = services.prepare(uow.session, Freshness.from_config(current_app.config),
                                                       conflict_id)
        except ProposalChanged as changed:
            uow.commit()  # the new proposal is kept for the operator to look at
            raise click.ClickException(say("The proposal no longer fits (%(why)s); nothing was changed.  "
                                           "Next: `flask promises show %(id)s`, then apply it again.",
                                           why=changed.reason, id=conflict_id)) from None
        approver = _approve(uow.session, manager, pin, "promise_conflict_apply", conflict, store, note)
        return store, services.apply(uow.session, conflict, store, locked, approver, note)
    _decided(conflict_id, work)


@promises_cli.command("dismiss")
@click.argument("conflict_id", type=click.UUID)
@click.option("--note", required=True, help="why nothing is done (kept in the audit log)")
@manager_option
@pin_option
@with_appcontext
def dismiss_command(conflict_id, note: str, manager: str, pin: str):
    """Close a conflict without touching any reservation."""
    def work(uow):
        conflict, store = services.get(uow.session, conflict_id)
        approver = _approve(uow.session, manager, pin, "promise_conflict_dismiss", conflict, store, note)
        return services.dismiss(uow.session, conflict_id, approver, note)[1], conflict
    _decided(conflict_id, work)


def _decided(conflict_id, work) -> None:
    """``work(uow)`` → (store, conflict) in one transaction, committed; a wrong PIN is counted."""
    try:
        with database().unit_of_work() as uow:
            store, conflict = work(uow)
            sku, status = conflict.sku, conflict.status
            uow.commit()
    except PinRejected as rejected:
        _count_wrong_pin(rejected)
    except (ApiProblem, PromiseError) as exc:
        raise click.ClickException(say("%(problem)s; nothing was changed.", problem=exc)) from None
    click.echo(say("Promise conflict %(id)s (%(sku)s at %(store)s) is %(status)s.", id=conflict_id, sku=sku,
                   store=store, status=status))


def _approve(session, manager: str, pin: str, action: str, conflict, store: str, note: str):
    return approve(session, Approval(login=manager, pin=pin), current_app.extensions["pos.settings"].pin_policy,
                   action=action, cashier=None, terminal=None, subject=f"promise conflict {conflict.id}",
                   details={"store": store, "sku": conflict.sku, "short": conflict.short,
                            "proposal": conflict.proposal, "note": note})
