"""The customer's card page: opened from the signed link on a phone, no login; a bad link is a 404."""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, render_template
from flask_babel import get_locale

from pos.http import database
from pos.loyalty import services
from pos.loyalty.cards import customer_of, qr_svg

bp = Blueprint("loyalty_pages", __name__, template_folder="templates")

PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}


@bp.get("/loyalty/card/<token>")
def card_page(token: str):
    customer_id = customer_of(token)
    if customer_id is None:
        abort(404)
    with database().unit_of_work(read_only=True) as uow:
        try:
            found = services.summary(uow.session, uuid.UUID(customer_id), history=10)
        except services.LoyaltyError:
            abort(404)
        rules = services.programme(uow.session)
    if rules is None:
        abort(404)
    html = render_template("loyalty/card.html", card=found, programme=rules, language=str(get_locale() or "en"),
                           qr=qr_svg(found["card"]) if found["card"] else None)  # our own SVG
    return Response(html, headers=PRIVATE)
