"""`flask giftcards …`: issue a card, look one up, the liability report, expiry, incidents."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from pos.giftcards import services
from pos.giftcards.models import GiftCard
from pos.http import database, settings
from pos.ids import new_id


@click.group("giftcards", help="Gift cards (HQ or standalone: where the balances are).")
def giftcards_cli():
    pass


def _money(amount: int) -> str:
    return f"{amount / 100:.2f}"


@giftcards_cli.command("issue")
@click.argument("amount", type=int)
@click.option("--currency", default=None, help="default: the node's country's")
@click.option("--days", type=int, default=None, help="valid for (default POS_GIFT_CARD_VALID_DAYS)")
@with_appcontext
def issue_command(amount: int, currency: str | None, days: int | None):
    """Issue a card worth AMOUNT minor units and print its code."""
    policy = services.Policy.from_config(current_app.config)
    if days:
        policy = services.Policy(days, policy.offline_allowance, policy.lease_hours)
    with database().unit_of_work() as uow:
        try:
            card, _ = services.issue(uow.session, amount=amount, currency=currency or settings().country.currency,
                                     key=f"cli:{new_id()}", issued_by="hq:cli", policy=policy)
        except services.GiftCardError as exc:
            raise click.ClickException(exc.detail) from None
        uow.commit()
        click.echo(f"{services.printed(card.code)} {_money(card.balance)} {card.currency} "
                   f"valid until {card.expires_at.date()}")


@giftcards_cli.command("show")
@click.argument("code")
@with_appcontext
def show_command(code: str):
    """A card's balance and every movement of it."""
    with database().unit_of_work(read_only=True) as uow:
        try:
            card = services._card(uow.session, services.normalise(code))
        except services.GiftCardError as exc:
            raise click.ClickException(exc.detail) from None
        info = services.card_json(uow.session, card)
        click.echo(f"{info['printed']} balance {_money(card.balance)} {card.currency}, spendable "
                   f"{_money(info['spendable'])}, expires {card.expires_at.date()}{' (expired)' if info['expired'] else ''}")
        for entry in services.entries(uow.session, card):
            click.echo(f"  {entry.created_at:%Y-%m-%d %H:%M} {entry.kind:7} {_money(entry.amount):>10} "
                       f"→ {_money(entry.balance_after):>10} {entry.channel}{' offline' if entry.offline else ''}")


@giftcards_cli.command("liability")
@with_appcontext
def liability_command():
    """Outstanding balance per currency, expired unspent, issued and redeemed."""
    with database().unit_of_work(read_only=True) as uow:
        for row in services.liability(uow.session):
            click.echo(f"{row['currency']}: outstanding {_money(row['outstanding'])} on {row['cards']} card(s), "
                       f"expired unspent {_money(row['expired_unredeemed'])}, issued {_money(row['issued'])}, "
                       f"redeemed {_money(row['redeemed'])}")


@giftcards_cli.command("expire")
@with_appcontext
def expire_command():
    """Write off what is left on cards past their expiry (the worker does it hourly)."""
    with database().unit_of_work() as uow:
        count = services.expire_cards(uow.session)
        uow.commit()
    click.echo(f"{count} gift card(s) expired")


@giftcards_cli.command("incidents")
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="open")
@with_appcontext
def incidents_command(status: str):
    """Offline spends HQ could not honour in full."""
    with database().unit_of_work(read_only=True) as uow:
        for incident in services.incidents(uow.session, status):
            code = uow.session.get(GiftCard, incident.card_id).code
            click.echo(f"{incident.id} {incident.status} store {incident.store} card {services.printed(code)} "
                       f"asked {_money(incident.asked)} taken {_money(incident.taken)} short "
                       f"{_money(incident.short)} {incident.currency}")


@giftcards_cli.command("resolve")
@click.argument("incident_id", type=click.UUID)
@click.option("--note", required=True, help="how it was settled with the customer")
@with_appcontext
def resolve_command(incident_id, note: str):
    """Mark an incident resolved once the shortfall was settled with the customer."""
    with database().unit_of_work() as uow:
        try:
            services.resolve_incident(uow.session, incident_id, note)
        except services.GiftCardError as exc:
            raise click.ClickException(exc.detail) from None
        uow.commit()
    click.echo(f"incident {incident_id} resolved")
