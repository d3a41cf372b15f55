"""`flask quarantine list|show|replay|discard|allow-return` on HQ: store changes HQ refused."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext

from pos.http import database
from pos.problems import ApiProblem
from pos.schemas import Approval
from pos.staff.services import PinRejected, approve, register_pin_failure
from pos.terminal.i18n import default_language
from sync.quarantine import services
from sync.quarantine.services import QuarantineError, StillRefused

manager_option = click.option("--manager", required=True, help="the approving manager's login (PIN is asked for)")
pin_option = click.option("--pin", prompt="Manager PIN", hide_input=True, help="the manager's PIN (asked if left out)")


def say(message: str, **values) -> str:
    """An operator's message in the node's language (POS_LANGUAGE, else its country's)."""
    with force_locale(default_language(current_app.config)):
        return gettext(message, **values)


@click.group("quarantine", help="HQ: store changes HQ refused; see, fix and replay, or discard them.")
def quarantine_cli():
    pass


@quarantine_cli.command("list")
@click.option("--status", type=click.Choice(["held", "replayed", "discarded", "all"]), default="held",
              show_default=True)
@click.option("--store", default=None, help="only this store's changes")
@click.option("--limit", default=200, show_default=True)
@with_appcontext
def list_command(status: str, store: str | None, limit: int):
    """One line per refused change: id, store, seq, entity, status and why."""
    with database().unit_of_work(read_only=True) as uow:
        rows = services.listed(uow.session, None if status == "all" else status, store, limit)
        for row, code in rows:
            click.echo(f"{row.id}  {code}  seq {row.seq}  {row.entity} {row.entity_id}  {row.status}  "
                       f"{row.problem.get('detail', '')}")
        counts = services.counts(uow.session)
    click.echo(say("%(listed)s listed; held %(held)s, replayed %(replayed)s, discarded %(discarded)s.  "
                   "Next: `flask quarantine show ID`.", listed=len(rows), held=counts.get("held", 0),
                   replayed=counts.get("replayed", 0), discarded=counts.get("discarded", 0)))


@quarantine_cli.command("show")
@click.argument("quarantine_id", type=click.UUID)
@with_appcontext
def show_command(quarantine_id):
    """The change as the store sent it, and the problem HQ refused it with (JSON)."""
    with database().unit_of_work(read_only=True) as uow:
        row, location = _get(uow.session, quarantine_id)
        click.echo(json.dumps(services.item_json(row, location.code, payload=True), indent=2, ensure_ascii=False))


@quarantine_cli.command("replay")
@click.argument("quarantine_id", type=click.UUID)
@click.option("--payload-file", type=click.File("r", encoding="utf-8"), default=None,
              help="the fixed payload (JSON, e.g. edited from `show`); left out: replay as sent")
@click.option("--note", default="", help="why (kept in the audit log)")
@manager_option
@pin_option
@with_appcontext
def replay_command(quarantine_id, payload_file, note: str, manager: str, pin: str):
    """Apply a refused change again, with the same checks as a push."""
    payload = json.load(payload_file) if payload_file else None
    if payload is not None and not isinstance(payload, dict):
        raise click.ClickException(say("--payload-file: the payload must be a JSON object; nothing was applied."))

    def work(session, approver):
        row = services.replay(session, quarantine_id, approver, payload=payload, note=note)
        return say("Replayed: %(entity)s %(entity_id)s (seq %(seq)s) is applied at HQ.", entity=row.entity,
                   entity_id=row.entity_id, seq=row.seq)
    _approved(quarantine_id, manager, pin, "quarantine_replay", {"fixed": payload is not None, "note": note}, work)


@quarantine_cli.command("discard")
@click.argument("quarantine_id", type=click.UUID)
@click.option("--note", required=True, help="why it is dropped (kept in the audit log)")
@manager_option
@pin_option
@with_appcontext
def discard_command(quarantine_id, note: str, manager: str, pin: str):
    """Drop a refused change for good (it stays listed as discarded)."""
    def work(session, approver):
        row = services.discard(session, quarantine_id, approver, note)
        return say("Discarded: %(entity)s %(entity_id)s (seq %(seq)s); it will not be applied.", entity=row.entity,
                   entity_id=row.entity_id, seq=row.seq)
    _approved(quarantine_id, manager, pin, "quarantine_discard", {"note": note}, work)


@quarantine_cli.command("allow-return")
@click.argument("sale_id", type=click.UUID)
@click.argument("store")
@click.option("--reason", default="")
@manager_option
@pin_option
@with_appcontext
def allow_return_command(sale_id, store: str, reason: str, manager: str, pin: str):
    """Let STORE take back SALE_ID, made at another store; then replay its quarantined return."""
    db = database()
    try:
        with db.unit_of_work() as uow:
            approver = approve(uow.session, Approval(login=manager, pin=pin),
                               current_app.extensions["pos.settings"].pin_policy, action="cross_store_return",
                               cashier=None, terminal=None, subject=f"sale {sale_id}",
                               details={"store": store, "reason": reason})
            services.authorise_return(uow.session, sale_id, store, approver, reason)
            uow.commit()
    except PinRejected as rejected:
        _count_wrong_pin(rejected)
    except (ApiProblem, QuarantineError) as exc:
        raise click.ClickException(say("%(problem)s; nothing was changed.", problem=exc)) from None
    click.echo(say("Store %(store)s may now take back sale %(sale_id)s.  Next: replay its return with "
                   "`flask quarantine replay ID --manager %(manager)s`.", store=store, sale_id=sale_id,
                   manager=manager))


def _get(session, quarantine_id):
    try:
        return services.get(session, quarantine_id)
    except QuarantineError as exc:
        raise click.ClickException(say("%(problem)s.  Next: `flask quarantine list --status all`.",
                                       problem=exc)) from None


def _approved(quarantine_id, manager: str, pin: str, action: str, details: dict, work) -> None:
    """``work(session, manager)`` after the manager's PIN, audited, in one transaction."""
    db = database()
    try:
        with db.unit_of_work() as uow:
            row, location = _get(uow.session, quarantine_id)
            approver = approve(uow.session, Approval(login=manager, pin=pin),
                               current_app.extensions["pos.settings"].pin_policy, action=action, cashier=None,
                               terminal=None, subject=f"quarantined change {quarantine_id}",
                               details={"store": location.code, "seq": row.seq, "entity": row.entity,
                                        "entity_id": row.entity_id, **details})
            message = work(uow.session, approver)
            uow.commit()
    except PinRejected as rejected:
        _count_wrong_pin(rejected)
    except StillRefused as exc:
        raise click.ClickException(say("Refused again, nothing was applied: %(field)s: %(reason)s.  Next: fix it "
                                       "with --payload-file, or discard it.",
                                       field=exc.refusal.field.removeprefix("change."),
                                       reason=exc.refusal.reason)) from None
    except (ApiProblem, QuarantineError) as exc:
        raise click.ClickException(say("%(problem)s; nothing was changed.", problem=exc)) from None
    click.echo(message)


def _count_wrong_pin(rejected: PinRejected):
    db = database()
    with db.unit_of_work() as uow:
        register_pin_failure(uow.session, rejected, current_app.extensions["pos.settings"].pin_policy)
        uow.commit()
    raise click.ClickException(say("Unknown login or wrong PIN; nothing was changed.")) from None
