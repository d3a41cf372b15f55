"""The loyalty card on the customer's phone: a signed link (no login) to a page with the card's QR code
and the balance.  The link names the customer and nothing else; it cannot be forged without SECRET_KEY."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "pos.loyalty.card"


def _signer(secret: str | None = None) -> URLSafeSerializer:
    return URLSafeSerializer(secret or current_app.config["SECRET_KEY"], salt=SALT)


def card_token(customer_id, secret: str | None = None) -> str:
    return _signer(secret).dumps(str(customer_id))


def customer_of(token: str) -> str | None:
    try:
        return _signer().loads(token)
    except BadSignature:
        return None


def card_url(customer_id) -> str:
    return url_for("loyalty_pages.card_page", token=card_token(customer_id), _external=True)


def qr_svg(text: str) -> str:
    """The card number as an inline SVG QR code (what the till's scanner reads)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]
