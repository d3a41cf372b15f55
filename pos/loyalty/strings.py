"""What the till says about loyalty (till-loyalty.js): translated here so the catalogues hold them."""
from __future__ import annotations

from flask_babel import gettext


def loyalty_strings() -> dict:
    """``{name}`` is filled in by the script."""
    return {
        "balance": gettext("Points: {points} (worth {worth})"),
        "card_attached": gettext("Loyalty card {card}: {name} attached to this sale."),
        "points": gettext("Loyalty points"),
        "problems": {
            "loyalty-offline": gettext("Points cannot be used now: head office is not reachable. Take another "
                                       "tender; the points stay on the card."),
            "insufficient-points": gettext("Not enough points on the card (balance {balance}). Lower the amount "
                                           "paid with points."),
            "loyalty-inactive": gettext("This shop runs no loyalty programme: points cannot pay."),
        },
    }
