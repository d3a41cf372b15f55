"""Gift cards in the back office (HQ and standalone, where the balances are): the liability per currency,
offline spends HQ could not honour, and every issued card with its balance and use."""
from __future__ import annotations

import re

from flask import abort, render_template, request
from sqlalchemy import func, select

from pos.giftcards import services
from pos.giftcards.models import GiftCard, GiftCardEntry
from pos.http import database
from pos.office.paging import paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp

HQ_ONLY = ("hq", "standalone")


@bp.get("/gift-cards")
@page(MANAGER, nodes=HQ_ONLY)
def gift_cards():
    query = re.sub(r"[^A-Z0-9]", "", search_text().upper())
    status = request.args.get("status", "all")
    with database().unit_of_work(read_only=True) as uow:
        session = uow.session
        uses = (select(func.count()).where(GiftCardEntry.card_id == GiftCard.id, GiftCardEntry.kind == "redeem")
                .correlate(GiftCard).scalar_subquery())
        statement = select(GiftCard, uses).order_by(GiftCard.issued_at.desc(), GiftCard.id)
        if query:
            statement = statement.where(GiftCard.code.like(f"%{query}%"))
        now = func.now()
        if status == "live":
            statement = statement.where(GiftCard.expires_at > now, GiftCard.balance > 0)
        elif status == "expired":
            statement = statement.where(GiftCard.expires_at <= now)
        listed = paged(session, statement)
        liability = services.liability(session)
        incidents = [(incident, session.get(GiftCard, incident.card_id).code)
                     for incident in services.incidents(session, "open")]
    return render_template("office/gift_cards.html", listed=listed, liability=liability, incidents=incidents,
                           query=search_text(), status=status, printed=services.printed)


@bp.get("/gift-cards/<code>")
@page(MANAGER, nodes=HQ_ONLY)
def gift_card(code: str):
    with database().unit_of_work(read_only=True) as uow:
        card = uow.session.scalars(select(GiftCard).where(GiftCard.code == code[:32])).one_or_none()
        if card is None:
            abort(404)
        info = services.card_json(uow.session, card)
        entries = services.entries(uow.session, card)
    return render_template("office/gift_card.html", card=card, info=info, entries=entries,
                           printed=services.printed)
